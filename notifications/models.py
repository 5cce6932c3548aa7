"""Inbox entries and each person's choice of email, per kind (docs/notifications.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.models import HandledEvent


class Kind(models.TextChoices):
    CASE_ASSIGNED = "case_assigned", "A case is assigned to you"
    APPROVAL_AWAITED = "approval_awaited", "An action awaits your approval"
    ACTION_APPROVED = "action_approved", "Your action is approved"
    ACTION_REJECTED = "action_rejected", "Your action is rejected"
    ACTION_EXECUTED = "action_executed", "Your action is carried out"
    ACTION_PARTIALLY_FAILED = "action_partially_failed", "Your action partially failed"
    ACTION_FAILED = "action_failed", "Your action failed"
    ACTION_PAUSED = "action_paused", "Your action is paused"
    CASE_REOPENED = "case_reopened", "A case you work is reopened"
    CASE_MERGED = "case_merged", "A case you work is merged into another"
    CASE_ESCALATED = "case_escalated", "A case is escalated to your level"
    CASE_HANDED_BACK = "case_handed_back", "A case is handed back to you"
    SLA_BREACHED = "sla_breached", "An SLA is breached on a case you work or lead"


class Notification(models.Model):
    """One person's inbox entry about one audit event, of one kind.

    ``event_id`` names the audit event (no foreign key: the trail is append-only
    and kept apart); (event, person, kind) is unique, so delivering an event
    twice adds nothing and sends no second email.
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    event_id = models.BigIntegerField()
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(
        "enforcement.Action", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What happened, without the case's title (the page shows it to those who see the case).
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the email is claimed for sending: at most one email per entry.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "person", "kind"], name="notification_once_per_event"
            )
        ]
        indexes = [
            # The navigation's count and the inbox's first page: a person's unread entries.
            models.Index(
                fields=["person", "-id"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(fields=["person", "-id"], name="notification_person"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.person_id}, event {self.event_id})"


class EmailChoice(models.Model):
    """Whether a person wants email for a kind; without a row, they do."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="email_choice_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}: {'email' if self.email else 'inbox only'}"


class DeliveredEvent(HandledEvent):
    """An audit event whose notifications were written; the sweep
    (``notifications.tasks.sweep_undelivered``) re-queues recent events without one."""
