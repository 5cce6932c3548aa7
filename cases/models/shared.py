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

from cases.models.accounts import IndicatorType


class KnownSharedValue(models.Model):
    """A strong value a lead has said is legitimately shared: it joins nothing."""

    type = models.CharField(max_length=30, choices=IndicatorType)
    # Stored as indicators store it (cases.indicator_values), so the import
    # finds it by the indicator's own type and digest.
    value = models.TextField()
    value_digest = models.GeneratedField(
        expression=models.Func(
            "value", function="indicator_digest", output_field=models.BinaryField()
        ),
        output_field=models.BinaryField(),
        db_persist=True,
    )
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
