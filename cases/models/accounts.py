"""Platform accounts, indicators and the links between them and cases.

Timestamps and counters carry database defaults as well as Python ones, so
ingestion can insert rows with set-based SQL (COPY, INSERT ... ON CONFLICT)
without naming every column.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class EnforcementState(models.TextChoices):
    """What the platform currently enforces on an account."""

    NONE = "none", "None"
    RATE_LIMITED = "rate_limited", "Rate limited"
    VERIFICATION_REQUIRED = "verification_required", "Verification required"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class Account(models.Model):
    """An account on the monitored platform (not a Dossier user)."""

    # Unique by a constraint rather than unique=True, which would add a second
    # (pattern-matching) index that no query uses to every account insert.
    external_id = models.CharField(max_length=200)
    organization_id = models.CharField(max_length=200, blank=True, default="", db_default="")
    email_domain = models.CharField(max_length=253, blank=True, default="", db_default="")
    country = models.CharField(max_length=2, blank=True, default="", db_default="")
    platform_created_at = models.DateTimeField(null=True, blank=True)
    payment_fingerprint = models.CharField(max_length=1000, blank=True, default="", db_default="")
    # Enterprise customers, partners, research programmes: never actioned without
    # an explicit override by a lead.
    is_protected = models.BooleanField(default=False, db_default=False)
    protected_reason = models.TextField(blank=True, default="", db_default="")
    enforcement_state = models.CharField(
        max_length=30,
        choices=EnforcementState,
        default=EnforcementState.NONE,
        db_default=EnforcementState.NONE,
    )
    first_seen = models.DateTimeField(default=timezone.now, db_default=Now())
    last_seen = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="account_external_id_unique"),
        ]
        # Accounts are found by payment fingerprint through their indicator
        # links; most accounts have no organisation, and those are not indexed.
        indexes = [
            models.Index(
                fields=["organization_id"],
                condition=~models.Q(organization_id=""),
                name="account_org",
            ),
            # The few protected accounts, read by every import: which of a
            # batch's accounts and values are theirs (ingestion.importing).
            # Their fingerprints by digest, not by text: a fingerprint may be
            # longer than an index entry can hold. An expression index also
            # keeps the plan a probe per value when the table's statistics are
            # stale (a campaign grows it faster than it is analysed): the
            # planner then prices a scan by the digest of every row.
            models.Index(
                fields=["id"], condition=models.Q(is_protected=True), name="account_protected"
            ),
            models.Index(
                models.Func(
                    "payment_fingerprint",
                    function="indicator_digest",
                    output_field=models.BinaryField(),
                ),
                condition=models.Q(is_protected=True) & ~models.Q(payment_fingerprint=""),
                name="protected_account_fingerprint",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class IndicatorType(models.TextChoices):
    IP = "ip", "IP address"
    CIDR = "cidr", "Network (CIDR)"
    ASN = "asn", "ASN"
    PAYMENT_FINGERPRINT = "payment_fingerprint", "Payment fingerprint"
    DEVICE_FINGERPRINT = "device_fingerprint", "Device fingerprint"
    EMAIL_DOMAIN = "email_domain", "Email domain"
    API_KEY_PREFIX = "api_key_prefix", "API key prefix"
    PROMPT_CLUSTER = "prompt_cluster", "Prompt cluster"
    USER_AGENT = "user_agent", "User agent"


# Strong indicators tie an alert to an open case; weak, high-cardinality ones
# are recorded and shown but never merge cases on their own.
STRONG_INDICATOR_TYPES: frozenset[str] = frozenset(
    {
        IndicatorType.PAYMENT_FINGERPRINT,
        IndicatorType.DEVICE_FINGERPRINT,
        IndicatorType.API_KEY_PREFIX,
        IndicatorType.PROMPT_CLUSTER,
    }
)
WEAK_INDICATOR_TYPES: frozenset[str] = frozenset(IndicatorType) - STRONG_INDICATOR_TYPES
# The strong types as form and API choices, in IndicatorType's order.
STRONG_INDICATOR_CHOICES: list[tuple[str, str]] = [
    (t.value, t.label) for t in IndicatorType if t in STRONG_INDICATOR_TYPES
]


def value_digest_field() -> models.GeneratedField:
    """SHA-256 of a row's ``value``, kept by PostgreSQL (``indicator_digest``).

    Indicators and the known-shared list key their values by it, so the import
    finds either by an indicator's own type and digest.
    """
    return models.GeneratedField(
        expression=models.Func(
            "value", function="indicator_digest", output_field=models.BinaryField()
        ),
        output_field=models.BinaryField(),
        db_persist=True,
    )


class Indicator(models.Model):
    """A typed value normalised as docs/alerts-api.md says, unique per (type, value)."""

    type = models.CharField(max_length=30, choices=IndicatorType)
    # Up to 1000 characters, plus "<detector>/" for prompt clusters.
    value = models.TextField()
    # SHA-256 of the value, kept by PostgreSQL: the unique key. A btree entry
    # holds at most 2704 bytes, and 1000 characters of UTF-8 may take 4000.
    value_digest = value_digest_field()
    first_seen = models.DateTimeField(default=timezone.now, db_default=Now())
    last_seen = models.DateTimeField(default=timezone.now, db_default=Now())
    # A weak value seen across so many accounts that it says nothing: shown,
    # never followed. Strong values are never too common: however many
    # accounts share one, it keeps joining (docs/alert-import.md).
    is_too_common = models.BooleanField(default=False, db_default=False)
    # Accounts linked to it, counted by the import; a weak value's count stops
    # once it is too common (INDICATOR_COMMON_CAP): past that the count has no
    # use, and not keeping it spares every batch a write to the most shared rows.
    account_count = models.PositiveIntegerField(default=0, db_default=0)
    accounts = models.ManyToManyField(
        Account, through="AccountIndicator", related_name="indicators", blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["type", "value_digest"], name="indicator_type_digest_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"

    @property
    def is_weak(self) -> bool:
        return self.type not in STRONG_INDICATOR_TYPES

    @property
    def is_strong(self) -> bool:
        return self.type in STRONG_INDICATOR_TYPES


class CaseAccount(models.Model):
    """An account linked to a case, with why and by whom (a person or a detector)."""

    # No single-column indexes: case_account_unique leads with the case and
    # case_account_by_account with the account, and every import writes here.
    # No database foreign keys to either: the import and the link operation only
    # link cases and accounts they hold, and neither is ever deleted (through
    # the ORM, on_delete still applies). Checked at commit, inside the import's
    # correlation lock, they cost every worker a wait.
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="account_links",
        db_index=False,
        db_constraint=False,
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="case_links",
        db_index=False,
        db_constraint=False,
    )
    reason = models.TextField()
    # Indexed only where set (see Meta): imports, which write most links, leave it empty.
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    linked_by_detector = models.CharField(max_length=200, blank=True, default="", db_default="")
    linked_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "account"], name="case_account_unique"),
            models.CheckConstraint(
                condition=models.Q(linked_by__isnull=False) | ~models.Q(linked_by_detector=""),
                name="case_account_linked_by_someone",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "case"], name="case_account_by_account"),
            models.Index(
                fields=["linked_by"],
                condition=models.Q(linked_by__isnull=False),
                name="case_account_linked_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} in case #{self.case_id}"

    @property
    def linked_by_label(self) -> str:
        return self.linked_by.get_username() if self.linked_by else self.linked_by_detector


class AccountIndicator(models.Model):
    # Every import inserts thousands of these rows, so each costs as little as
    # possible. The two composite indexes below lead with each column, so no
    # single-column index. No database foreign keys either: PostgreSQL checks
    # them row by row (two lookups and row locks per link, most of the cost of
    # the insert). The import only links ids it upserted in the same
    # transaction, and accounts and indicators are never deleted (were one
    # deleted through the ORM, on_delete would still remove its links).
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="indicator_links",
        db_index=False,
        db_constraint=False,
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="account_links",
        db_index=False,
        db_constraint=False,
    )
    first_seen = models.DateTimeField(default=timezone.now, db_default=Now())
    last_seen = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "indicator"], name="account_indicator_unique"
            ),
        ]
        # The graph is walked from indicators to accounts as often as the other way.
        indexes = [models.Index(fields=["indicator", "account"], name="indicator_account")]

    def __str__(self) -> str:
        return f"{self.account} ~ {self.indicator}"


class CaseIndicator(models.Model):
    """An indicator at least one of the case's accounts carries.

    The case page lists a case's indicators, and counts the other cases that
    share one, from here: through accounts, a case of 25,000 accounts would
    be walked whole for every page. PostgreSQL keeps the rows (triggers on
    the two link tables, migration 0017), so every writer keeps them: the
    import's set-based SQL, the workflow and merges alike.
    """

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="indicator_links",
        db_index=False,
        db_constraint=False,
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="case_links",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "indicator"], name="case_indicator_unique"),
        ]
        # The other cases sharing a value: a range of this index.
        indexes = [models.Index(fields=["indicator", "case"], name="indicator_case")]

    def __str__(self) -> str:
        return f"{self.indicator} in case #{self.case_id}"
