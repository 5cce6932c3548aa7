"""What ties alerts to a case besides its accounts: campaign hints and strong indicators.

One row per (key, case). Only strong keys are stored (a detector's campaign
hint, payment and device fingerprints, API key prefixes, prompt clusters);
weak indicators (IP, CIDR, ASN, email domain, user agent) never join cases,
so they get no rows here and this table cannot grow with proxy traffic.
Accounts tie through ``cases.CaseAccount``.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class CorrelationKey(models.Model):
    # "campaign:<detector id>:<hint>" or "indicator:<indicator id>".
    key = models.CharField(max_length=320)
    # Written only by the import, for a case and an indicator it holds in the
    # same transaction; cases and indicators are never deleted (through the
    # ORM, on_delete still removes the keys). No database constraints: their
    # checks would run twice for each of about one key per alert.
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="correlation_keys",
        db_constraint=False,
    )
    # Set for indicator keys, so a value marked too common stops joining at once.
    indicator = models.ForeignKey(
        "cases.Indicator",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    # How the case holds the key, shown in join reasons:
    # "payment fingerprint pf_77ab with acct_8f2c".
    label = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "case"], name="correlation_key_case_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} -> case #{self.case_id}"
