"""Strong values honest customers share, and the values flagged for a lead to look at.

A reseller's payment processor, an enterprise's device fleet, a university
programme's API key prefix: strong by type, yet shared by many honest
accounts. A count cannot tell them from a campaign, so leads keep a list of
them (``KnownSharedValue``), and the import reads that list when it chooses
the strong values that join cases. The import cannot judge a value that
starts to reach into cases people have worked, or a protected account: it
flags the value on the case (``ReviewFlag``) and a lead decides.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from cases.models.accounts import IndicatorType, value_digest_field


class KnownSharedValue(models.Model):
    """A strong value a lead has said is legitimately shared: it joins nothing."""

    type = models.CharField(max_length=30, choices=IndicatorType)
    # Stored as indicators store it (cases.indicator_values), so the import
    # finds it by the indicator's own type and digest.
    value = models.TextField()
    value_digest = value_digest_field()
    reason = models.TextField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["type", "value_digest"], name="known_shared_type_digest_unique"
            ),
        ]
        ordering = ["-added_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


class ReviewFlagKind(models.TextChoices):
    WORKED_CASES = "worked_cases", "Joins accounts of cases people have worked"
    PROTECTED_ACCOUNT = "protected_account", "Reaches a protected account"


class ReviewFlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    LISTED = "listed", "Put on the known-shared list"
    DISMISSED = "dismissed", "Dismissed"


class ReviewFlag(models.Model):
    """A strong value the import flagged on a case for a lead to decide.

    One per case and value: once a lead has decided, the same value on the
    same case is not flagged again.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="review_flags")
    indicator = models.ForeignKey(
        "cases.Indicator", on_delete=models.PROTECT, related_name="review_flags"
    )
    kind = models.CharField(max_length=30, choices=ReviewFlagKind)
    # What the import saw, in words: which alert, which cases or account.
    detail = models.TextField(blank=True, default="", db_default="")
    status = models.CharField(
        max_length=20,
        choices=ReviewFlagStatus,
        default=ReviewFlagStatus.OPEN,
        db_default=ReviewFlagStatus.OPEN,
    )
    raised_at = models.DateTimeField(default=timezone.now, db_default=Now())
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.TextField(blank=True, default="", db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "indicator"], name="review_flag_unique"),
        ]
        # Listing a value closes its open flags on every case.
        indexes = [
            models.Index(
                fields=["indicator"],
                condition=models.Q(status="open"),
                name="review_flag_open_by_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} on case #{self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status == ReviewFlagStatus.OPEN
