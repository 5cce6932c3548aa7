"""The audit trail: append-only, gapless and hash-chained.

Rows are written only by :func:`audit.events.record`, which holds the chain
lock while it numbers and hashes the event. PostgreSQL refuses UPDATE, DELETE
and TRUNCATE on the table (see migration 0002); ``manage.py audit verify``
proves that no event was changed, removed or reordered.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditEventQuerySet(models.QuerySet):
    def for_case(self, case_id: int) -> AuditEventQuerySet:
        """Every event concerning a case (served by the GIN index on ``case_ids``)."""
        return self.filter(case_ids__contains=[int(case_id)])


class AuditEvent(models.Model):
    sequence = models.BigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(editable=False)

    # Who acted: a person, a detector or the system. The username and the
    # detector's name are copied so an event still reads correctly after the
    # account or detector is renamed. Users referenced here cannot be deleted
    # (PROTECT): deactivate them instead, since the trail itself never changes.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    actor_username = models.CharField(max_length=150, blank=True, default="")
    # Detectors are referenced by id and name, not by foreign key, so the
    # trail outlives any detector row.
    detector_id = models.CharField(max_length=64, blank=True, default="")
    detector_name = models.CharField(max_length=200, blank=True, default="")
    system = models.CharField(max_length=100, blank=True, default="")

    verb = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_repr = models.CharField(max_length=300, blank=True, default="")
    case_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(blank=True, default="")

    remote_addr = models.CharField(max_length=64, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")

    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Ed25519 signature of ``hash`` under AUDIT_SIGNING_KEY (``audit.signing``):
    # the hash proves the content, the seal proves Dossier wrote it. Empty on
    # events written before seals existed.
    seal = models.CharField(max_length=100, blank=True, default="", db_default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ("-sequence",)
        indexes = [
            GinIndex(fields=["case_ids"], name="audit_event_case_ids_gin"),
            models.Index(fields=["target_type", "target_id"], name="audit_event_target_idx"),
            models.Index(fields=["occurred_at"], name="audit_event_occurred_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.verb} by {self.actor_label}"

    @property
    def actor_label(self) -> str:
        if self.actor_username:
            return self.actor_username
        if self.detector_name:
            return f"detector {self.detector_name}"
        return self.system or "anonymous"


class CaseEvent(models.Model):
    """One row per (case, event it concerns): a case's trail newest first, a
    page at a time.

    The GIN index on ``case_ids`` answers "which events concern case 7" only
    as a whole set, which PostgreSQL sorts before it can stop at a page: the
    case page would read all 5,000 events of a big case to show 50. Here each
    case's events are one range of a btree. Rows are written by a trigger on
    every insert into the trail (migration 0007), and by ``audit.case_trail``
    when cases merge, so a survivor's range holds the events of the cases
    merged into it. Derived from the trail, never hashed: ``audit verify``
    proves the trail itself.
    """

    case_id = models.BigIntegerField()
    # By ``sequence``, which the trail numbers under its lock; no database
    # constraint, since events are never deleted and the trigger writes both.
    event = models.ForeignKey(
        AuditEvent,
        to_field="sequence",
        db_column="sequence",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="case_links",
    )
    occurred_at = models.DateTimeField()
    by_person = models.BooleanField()

    class Meta:
        constraints = [
            # The audit panel's range, newest first (by sequence).
            models.UniqueConstraint(fields=["case_id", "event"], name="audit_caseevent_once"),
        ]
        indexes = [
            # The timeline's, which merges by time with notes and evidence.
            models.Index(fields=["case_id", "-occurred_at", "-id"], name="audit_caseevent_time"),
            models.Index(
                fields=["case_id", "-occurred_at", "-id"],
                condition=models.Q(by_person=True),
                name="audit_caseevent_people",
            ),
        ]

    def __str__(self) -> str:
        return f"case #{self.case_id}: event #{self.event_id}"


class AuditCheckpoint(models.Model):
    """A signed statement that event ``sequence`` had ``hash``.

    The chain alone cannot stop someone with the table owner's rights from
    rewriting the tail and recomputing every hash after it. A checkpoint is
    signed with a key that lives outside the database (``AUDIT_CHECKPOINT_KEYS``),
    so ``audit verify`` catches such a rewrite, or a tail cut off, up to the
    latest checkpoint. Append-only like the events.
    """

    sequence = models.BigIntegerField(unique=True, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(editable=False)
    # Ed25519 (base64) under AUDIT_SIGNING_KEY, whose ``key_id`` is named; an
    # empty ``key_id`` marks an older checkpoint, HMAC under AUDIT_CHECKPOINT_KEYS.
    signature = models.CharField(max_length=100, editable=False)
    key_id = models.CharField(max_length=16, blank=True, default="", editable=False)

    class Meta:
        ordering = ("-sequence",)

    def __str__(self) -> str:
        return f"checkpoint at #{self.sequence}"


class ExportJobState(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Writing"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Removed (expired)"


class ExportJob(models.Model):
    """An export too large to stream in one request, written by a worker to a file
    under ``EXPORT_ROOT`` and kept for ``EXPORT_RETENTION_HOURS`` (docs/audit-exports.md).

    Its range, row count and audit event are fixed when it is requested, as a
    streamed export's are; the worker only writes the file. Its id is the
    download link's, so it is not guessable.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    output = models.CharField(max_length=8)
    # The request's filter parameters as given (the worker filters with them
    # again, as the requester), and as the manifest names them.
    params = models.JSONField(default=dict)
    filter = models.JSONField(default=dict)
    through_sequence = models.BigIntegerField()
    rows = models.BigIntegerField()
    tlp_red_included = models.BooleanField(default=False)
    generated_at = models.CharField(max_length=32)
    export_event = models.BigIntegerField()

    state = models.CharField(
        max_length=16, choices=ExportJobState.choices, default=ExportJobState.QUEUED
    )
    # Each claim by a worker counts up; only the latest claim's writes count,
    # so a task delivered twice cannot interleave two files.
    attempt = models.PositiveIntegerField(default=0)
    rows_written = models.BigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True, default="")
    size = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-requested_at",)
        indexes = [
            models.Index(fields=["requested_by", "-requested_at"], name="audit_export_job_mine"),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(state="done"),
                name="audit_export_job_expiring",
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.id} ({self.state})"

    @property
    def filename(self) -> str:
        return f"audit-export-{self.export_event}.{self.output}"

    @property
    def running(self) -> bool:
        return self.state in (ExportJobState.QUEUED, ExportJobState.RUNNING)


class HandledEvent(models.Model):
    """What an app following the trail (notifications, webhooks) records of each
    event it handled, so its sweep finds those it missed (``audit.followers``)."""

    event_id = models.BigIntegerField(primary_key=True)
    handled_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"event {self.event_id} handled"
