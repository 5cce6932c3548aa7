"""Evidence and notes: the record of a case, never edited in place.

A correction is a new item. A redaction is an audited act that removes the
content and keeps the SHA-256 of what was removed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class EvidenceKind(models.TextChoices):
    ALERT = "alert", "Alert"
    SAMPLE = "sample", "Prompt/response sample"
    TRAFFIC = "traffic", "Traffic figures"
    FILE = "file", "File"
    LINK = "link", "Link"
    TEXT = "text", "Text"


class Evidence(models.Model):
    # Found by evidence_case_created, which leads with the case.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="evidence", db_index=False
    )
    kind = models.CharField(max_length=20, choices=EvidenceKind)
    title = models.CharField(max_length=300)
    # Text, link URL, or a verbatim sample; shown escaped, never rendered as HTML.
    content = models.TextField(blank=True, default="", db_default="")
    # Structured content (traffic figures, alert fields), stored as given.
    data = models.JSONField(default=dict, db_default={}, blank=True)
    # Where the item came from, e.g. "alert:<id>"; unique per kind so a re-run
    # import cannot add the same item twice.
    source_ref = models.CharField(max_length=300, blank=True, default="", db_default="")

    # Files: a path relative to settings.EVIDENCE_ROOT, outside the web root.
    file_path = models.CharField(max_length=500, blank=True, default="", db_default="")
    original_filename = models.CharField(max_length=255, blank=True, default="", db_default="")
    content_type = models.CharField(max_length=200, blank=True, default="", db_default="")
    size = models.BigIntegerField(null=True, blank=True)
    # SHA-256 of the file bytes, or of the UTF-8 content for other kinds, taken when stored.
    sha256 = models.CharField(max_length=64, blank=True, default="", db_default="")

    # Both user references are indexed only where set (see Meta): imported
    # evidence, most of it, has neither.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_by_detector = models.CharField(max_length=200, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    redacted_at = models.DateTimeField(null=True, blank=True)
    redacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    redaction_reason = models.TextField(blank=True, default="", db_default="")
    removed_sha256 = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name_plural = "evidence"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="evidence_kind_source_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="evidence_case_created"),
            # The timeline's evidence: all but alerts, of which a campaign's
            # case holds a hundred thousand.
            models.Index(
                fields=["case", "-created_at", "-id"],
                condition=~models.Q(kind="alert"),
                name="evidence_case_not_alert",
            ),
            # The orphaned-file sweep looks each stored file up by its path.
            models.Index(
                fields=["file_path"], condition=~models.Q(file_path=""), name="evidence_file_path"
            ),
            models.Index(
                fields=["created_by"],
                condition=models.Q(created_by__isnull=False),
                name="evidence_created_by",
            ),
            models.Index(
                fields=["redacted_by"],
                condition=models.Q(redacted_by__isnull=False),
                name="evidence_redacted_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def is_redacted(self) -> bool:
        return self.redacted_at is not None

    @property
    def created_by_label(self) -> str:
        return self.created_by.get_username() if self.created_by else self.created_by_detector


class Note(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Markdown; rendered through a sanitiser, never trusted as HTML.
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["case", "created_at"], name="note_case_created")]

    def __str__(self) -> str:
        return f"Note by {self.author} on case #{self.case_id}"
