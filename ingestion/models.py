"""Detectors, their tokens, and what they post: batches of alerts.

Alerts will be partitioned by time; a partitioned table's unique constraints
must include the partition key, so the dedup key ``(detector, external_id)``
lives in its own unpartitioned table, ``AlertKey``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from people.tokens import DETECTOR_TOKEN_PREFIX, IssuedToken


def default_rate() -> int:
    return settings.DETECTOR_DEFAULT_RATE


class Detector(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    active = models.BooleanField(default=True)
    # Requests per minute; 0 means unlimited.
    rate_per_minute = models.PositiveIntegerField(default=default_rate)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TokenQuerySet(models.QuerySet):
    def usable(self, now=None) -> TokenQuerySet:
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class DetectorToken(IssuedToken):
    """A detector's token: the kind of ``people.tokens`` that only the alerts API accepts."""

    PREFIX = DETECTOR_TOKEN_PREFIX

    detector = models.ForeignKey(Detector, on_delete=models.CASCADE, related_name="tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set on rotation: the old token keeps working until then.
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.detector_id}:{self.prefix}…"

    @classmethod
    def issue(cls, detector: Detector) -> tuple[DetectorToken, str]:
        """Create a token; the clear text is returned once and never stored."""
        return cls.make(detector=detector)


class BatchStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IMPORTING = "importing", "Importing"
    IMPORTED = "imported", "Imported"
    PARTIALLY_IMPORTED = "partially_imported", "Partially imported"
    FAILED = "failed", "Failed"


class Batch(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    detector = models.ForeignKey(Detector, on_delete=models.PROTECT, related_name="batches")
    # The request body as received (after gzip decoding), kept verbatim: bytes,
    # because text columns cannot hold everything a body may carry.
    raw_body = models.BinaryField()
    status = models.CharField(max_length=20, choices=BatchStatus, default=BatchStatus.PENDING)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # [{"external_id": ..., "message": ...}] for alerts that failed to import.
    errors = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            # The sweeper: unfinished batches, oldest first.
            models.Index(
                fields=["status", "received_at"],
                name="batch_unfinished",
                condition=Q(status__in=["pending", "importing"]),
            ),
            models.Index(fields=["detector", "-received_at"], name="batch_detector_recent"),
        ]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return str(self.id)


class AlertStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Failed"


class Alert(models.Model):
    id = models.BigAutoField(primary_key=True)
    # Indexed by alert_batch_status; a detector's alerts are found through
    # AlertKey and its volume through its batches, so no index of its own.
    # No database constraint either: alerts are written only by
    # ingestion.accept.store_alerts, in the transaction that inserts their
    # batch, and the per-row foreign-key triggers cost a quarter of that COPY.
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, related_name="alerts", db_index=False, db_constraint=False
    )
    detector = models.ForeignKey(
        Detector,
        on_delete=models.PROTECT,
        related_name="alerts",
        db_index=False,
        db_constraint=False,
    )
    external_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=100)
    severity = models.CharField(max_length=10)
    confidence = models.FloatField(default=0.5)
    observed_at = models.DateTimeField()
    title = models.CharField(max_length=300, blank=True, default="")
    # The alert object as received, unknown fields included.
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=AlertStatus, default=AlertStatus.PENDING)
    error = models.TextField(blank=True, default="")
    # Null until imported; indexed only when set (see alert_case_id). Set only by
    # the import, to a case it holds under the correlation lock in the same
    # transaction, and cases are never deleted: no database constraint, whose
    # check would run for every alert of every batch at commit.
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
        db_index=False,
        db_constraint=False,
    )
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["batch", "status"], name="alert_batch_status"),
            # Partial: accepting alerts inserts no entry here. With the id, a
            # case's alerts are read newest first a page at a time.
            models.Index(
                fields=["case", "id"], name="alert_case_id", condition=Q(case__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.detector_id}:{self.external_id}"


class AlertKey(models.Model):
    """The dedup key: one row per ``(detector, external_id)`` ever accepted.

    Inserted with ``ON CONFLICT DO NOTHING RETURNING`` so one statement tells
    which alerts of a request are new.
    """

    pk = models.CompositePrimaryKey("detector", "external_id")
    detector = models.ForeignKey(Detector, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=200)
    # No foreign key: the alerts table will be partitioned.
    alert_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.detector_id}:{self.external_id}"


# Defined in its own module (the import owns it); imported here so Django registers it.
from ingestion.correlation_keys import CorrelationKey  # noqa: E402, F401
