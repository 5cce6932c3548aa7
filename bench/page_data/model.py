"""The sizes of the campaign's database, what building it returns, and its constants."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from people.roles import Role

CAMPAIGN_DAYS = 42
BATCH_SIZE = 500
# Weak values past this many accounts stop being counted (INDICATOR_COMMON_CAP).
COMMON_CAP = 50
STRONG_TYPES = frozenset({"payment_fingerprint", "device_fingerprint", "prompt_cluster"})
KINDS = {
    "distillation.cot_elicitation": "campaign-prompt-classifier",
    "payment.shared_instrument": "campaign-account-clustering",
    "distillation.volume_anomaly": "campaign-traffic-jobs",
    "infra.proxy_network": "campaign-traffic-jobs",
}
PEOPLE = {
    Role.INVESTIGATOR: 6,
    Role.LEAD: 3,
    Role.MANAGER: 1,
    Role.POLICY: 1,
    Role.LEGAL: 1,
    Role.EXECUTIVE: 1,
}

# The team's steps on a case, in the order they repeat (notes are written apart).
STEPS = (
    ("evidence.viewed", Role.INVESTIGATOR),
    ("case.account_linked", Role.INVESTIGATOR),
    ("evidence.viewed", Role.LEAD),
    ("evidence.added", Role.INVESTIGATOR),
    ("case.severity_changed", Role.LEAD),
    ("case.attribution_changed", Role.INVESTIGATOR),
    ("case.assigned", Role.LEAD),
    ("evidence.viewed", Role.MANAGER),
)


@dataclass(frozen=True)
class Sizes:
    accounts: int = 25_000
    indicators: int = 2_000
    alerts: int = 100_000
    timeline: int = 5_000
    other_cases: int = 13_000
    small_accounts: int = 5
    seed: int = 7

    def scaled(self, factor: float) -> Sizes:
        """Every size but the small case's times ``factor`` (at least what the shape needs)."""
        return replace(
            self,
            accounts=max(100, int(self.accounts * factor)),
            indicators=max(100, int(self.indicators * factor)),
            alerts=max(100, int(self.alerts * factor)),
            timeline=max(50, int(self.timeline * factor)),
            other_cases=max(20, int(self.other_cases * factor)),
        )


@dataclass
class Built:
    big_case: int
    small_case: int
    # Role value -> user ids, first one first (the big case's assignee is the
    # first investigator).
    people: dict[str, list[int]]
    usernames: dict[int, str]
    # Table -> rows written.
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class CaseShape:
    id: int
    title: str
    accounts: list[int] = field(default_factory=list)
    alerts: int = 0
    evidence: int = 0
    severity: str = "medium"
    status: str = "new"
    assignee: int | None = None
