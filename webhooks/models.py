"""Endpoints that receive Dossier's events, and one delivery per endpoint and
event (docs/webhooks.md)."""

from __future__ import annotations

import secrets

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from audit.models import HandledEvent

# The audit verbs an endpoint may subscribe to: steps a chat or paging system
# cares about, each sent with its audit event (``event_id``) by the workflow's
# signals. Others (notes, tags, evidence) stay inside Dossier.
EVENT_KINDS: tuple[str, ...] = (
    "case.assigned",
    "case.escalated",
    "case.handed_back",
    "case.reopened",
    "case.closed",
    "case.merged",
    "case.sla_breached",
    "action.proposed",
    "action.approved",
    "action.second_approved",
    "action.rejected",
    "action.withdrawn",
    "action.executed",
    "action.reverted",
    "action.paused",
)
EVENT_KIND_CHOICES = [(kind, kind) for kind in EVENT_KINDS]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def validate_event_kinds(value: list[str]) -> None:
    unknown = sorted(set(value) - set(EVENT_KINDS))
    if unknown:
        raise ValidationError(f"Unknown event kinds: {', '.join(unknown)}.")


class WebhookEndpoint(models.Model):
    """A URL an administrator registered, and the event kinds it wants."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    event_kinds = ArrayField(
        models.CharField(max_length=40, choices=EVENT_KIND_CHOICES),
        default=list,
        validators=[validate_event_kinds],
        help_text="The events this endpoint receives.",
    )
    # The HMAC key of its Dossier-Signature; the receiver holds a copy.
    secret = models.CharField(max_length=200, default=new_secret)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.secret:
            self.secret = new_secret()
        super().save(*args, **kwargs)


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILING = "failing", "Failing (gave up)"


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent until a 2xx answer or WEBHOOK_MAX_ATTEMPTS.

    ``event_id`` names the audit event without a foreign key, as notifications
    do: the trail is append-only and kept apart. (endpoint, event) is unique,
    so a redelivered dispatch adds nothing.
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.BigIntegerField()
    verb = models.CharField(max_length=100)
    state = models.CharField(
        max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a pending delivery may be sent next; a claimed one is held until
    # its attempt's answer is due (webhooks.sending.claim).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            # The sweep's pending deliveries that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verb} (event {self.event_id}) to {self.endpoint_id}"


class DispatchedEvent(HandledEvent):
    """An audit event whose deliveries were made; the sweep
    (``webhooks.tasks.sweep_undispatched``) re-queues recent events without one."""
