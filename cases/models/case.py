from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.pagination import FAR_FUTURE


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGE = "triage", "Triage"
    INVESTIGATING = "investigating", "Investigating"
    ESCALATED = "escalated", "Escalated"
    PENDING_ACTION = "pending_action", "Pending action"
    ACTIONED = "actioned", "Actioned"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = tuple(s for s in CaseStatus if s != CaseStatus.CLOSED)


# The overdue rule: an open case whose SLA is running and whose due time has
# passed. A paused SLA is not overdue: its due time moves on by the pause when
# it resumes (docs/case-workflow.md, "SLA"). Written once for SQL (overdue_q,
# for filters and the breach task) and once for a loaded row (Case.is_overdue).
def overdue_q(now: datetime | None = None) -> models.Q:
    return models.Q(
        sla_due_at__lt=now or timezone.now(),
        sla_paused_at__isnull=True,
        status__in=OPEN_STATUSES,
    )


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


class EscalationLevel(models.TextChoices):
    """The role a case is escalated to; that role may hand it back."""

    POLICY = "policy", "Policy"
    LEGAL = "legal", "Legal"
    EXECUTIVE = "executive", "Executive"


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
    # The level the case is escalated to while it is `escalated`; empty otherwise.
    escalation_level = models.CharField(
        max_length=20, choices=EscalationLevel, blank=True, default=""
    )
    tlp = models.CharField(max_length=10, choices=Tlp, default=Tlp.AMBER)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    # The SLA clock (docs/case-workflow.md, "SLA"): stopped since sla_paused_at
    # for the reasons listed (an action awaiting approval, an escalation
    # awaiting its hand-back); sla_paused_for sums the pauses already over,
    # each of which moved sla_due_at on when it ended. sla_breached_at is
    # written once, by the breach task, when the running clock passed the due time.
    # sla_started_at is when a reopening restarted the clock (null: at the opening).
    sla_started_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_pause_reasons = models.JSONField(default=list, blank=True, db_default=[])
    sla_paused_for = models.DurationField(default=timedelta(0), db_default=timedelta(0))
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)

    attribution_actor = models.CharField(max_length=200, blank=True, default="")
    attribution_confidence = models.CharField(max_length=20, blank=True, default="")
    attribution_rationale = models.TextField(blank=True, default="")

    # Set when ingestion opens the case: alerts with the same strong key join it
    # while it is open. Unique among open cases so two workers cannot both open one.
    correlation_key = models.CharField(max_length=300, blank=True, default="")
    # Alerts suggest the actor is rotating accounts or infrastructure to evade action.
    is_possible_evasion = models.BooleanField(default=False, db_default=False)
    related_cases = models.ManyToManyField("self", symmetrical=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )

    # Denormalised counts for the queue; maintained by the workflow and ingestion.
    alert_count = models.PositiveIntegerField(default=0, db_default=0)
    account_count = models.PositiveIntegerField(default=0, db_default=0)
    evidence_count = models.PositiveIntegerField(default=0, db_default=0)

    # Incremented by every workflow change.
    version = models.PositiveIntegerField(default=1, db_default=1)
    # The version at which each group of fields last changed, and by whom
    # (cases.workflow.versions): a form is stale only when what it edits changed.
    field_versions = models.JSONField(default=dict, blank=True, db_default={})
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    actioned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The queue's keyset sorts (cases.pagination.SORTS), each read in index
        # order from the first page to the last; tests/cases/test_queue_plans.py
        # proves the plans. The due index's expression must be exactly the
        # sort's, or the planner cannot match it.
        indexes = [
            models.Index(
                fields=["status", "-last_activity_at", "-id"], name="case_status_activity"
            ),
            models.Index(fields=["-last_activity_at", "-id"], name="case_activity"),
            models.Index(fields=["-severity_rank", "-id"], name="case_severity"),
            models.Index(
                Coalesce(
                    "sla_due_at", models.Value(FAR_FUTURE, output_field=models.DateTimeField())
                ),
                "id",
                name="case_due",
            ),
            # The running clocks not yet breached: what the breach task
            # (cases.workflow.sla.mark_breaches) reads on every beat.
            models.Index(
                fields=["sla_due_at"],
                condition=models.Q(sla_breached_at__isnull=True, sla_paused_at__isnull=True)
                & ~models.Q(status="closed"),
                name="case_sla_running",
            ),
            # The few restricted cases: what a count of cases sharing a value
            # leaves out for someone TLP:RED hides them from (cases.queries.sharing).
            models.Index(fields=["id"], condition=models.Q(tlp="red"), name="case_restricted"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["correlation_key"],
                condition=~models.Q(correlation_key="") & ~models.Q(status="closed"),
                name="case_open_correlation_key_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status="closed") | models.Q(resolution=""),
                name="case_resolution_only_when_closed",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(resolution=""),
                name="case_closed_has_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    @property
    def is_overdue(self) -> bool:
        """``overdue_q`` for this row."""
        return bool(
            self.sla_due_at is not None
            and self.sla_due_at < timezone.now()
            and self.sla_paused_at is None
            and self.status in OPEN_STATUSES
        )
