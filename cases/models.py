from __future__ import annotations

from django.conf import settings
from django.db import models


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGE = "triage", "Triage"
    INVESTIGATING = "investigating", "Investigating"
    ESCALATED = "escalated", "Escalated"
    PENDING_ACTION = "pending_action", "Pending action"
    ACTIONED = "actioned", "Actioned"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = tuple(s for s in CaseStatus if s != CaseStatus.CLOSED)


class Resolution(models.TextChoices):
    CONFIRMED_ABUSE = "confirmed_abuse", "Confirmed abuse"
    FALSE_POSITIVE = "false_positive", "False positive"
    BENIGN = "benign", "Benign"
    DUPLICATE = "duplicate", "Duplicate"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence", "Insufficient evidence"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Tlp(models.TextChoices):
    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    RED = "red", "TLP:RED"


class Case(models.Model):
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=CaseStatus, default=CaseStatus.NEW)
    resolution = models.CharField(max_length=30, choices=Resolution, blank=True, default="")
    severity = models.CharField(max_length=10, choices=Severity, default=Severity.MEDIUM)
    # Kept alongside severity so the queue can sort by it with an index.
    severity_rank = models.PositiveSmallIntegerField(default=2)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalation_level = models.CharField(max_length=20, blank=True, default="")
    tlp = models.CharField(max_length=10, choices=Tlp, default=Tlp.AMBER)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)

    attribution_actor = models.CharField(max_length=200, blank=True, default="")
    attribution_confidence = models.CharField(max_length=20, blank=True, default="")
    attribution_rationale = models.TextField(blank=True, default="")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    actioned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["status", "-last_activity_at", "-id"], name="case_status_activity"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"
