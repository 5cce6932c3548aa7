"""What pages and the API show about actions: blast radius, progress wording, queues.

Read-only; every figure is one set-based query whatever the number of targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q, QuerySet

from cases.models import OPEN_STATUSES, Case
from enforcement.models import (
    Action,
    ActionKind,
    ActionState,
    ActionTarget,
    TargetState,
    TargetType,
)
from enforcement.workflow import AWAITING_DECISION, progress

# How a finished target of each kind reads: "6,412 of 10,000 accounts suspended".
DONE_WORDS = {
    ActionKind.SUSPEND_ACCOUNTS: ("accounts", "suspended"),
    ActionKind.TERMINATE_ACCOUNTS: ("accounts", "terminated"),
    ActionKind.REQUIRE_VERIFICATION: ("accounts", "asked to verify"),
    ActionKind.REVOKE_API_KEYS: ("targets", "revoked"),
    ActionKind.BLOCK_NETWORK: ("networks", "blocked"),
    ActionKind.RATE_LIMIT: ("targets", "rate-limited"),
    ActionKind.NOTIFY_PARTNER: ("partners", "notified"),
}
FINISHED_STATES = frozenset(
    {
        ActionState.EXECUTED,
        ActionState.PARTIALLY_FAILED,
        ActionState.FAILED,
        ActionState.REVERTED,
        ActionState.REJECTED,
        ActionState.WITHDRAWN,
    }
)
SAMPLE = 10


def progress_report(action: Action, counts: dict[str, int] | None = None) -> dict:
    """The progress endpoint's answer and the progress bar's text."""
    counts = counts if counts is not None else progress(action)
    noun, verb = DONE_WORDS[action.kind]
    reverting = action.state == ActionState.REVERTING or (
        action.state == ActionState.PAUSED
        and (counts[TargetState.REVERT_PENDING] or counts[TargetState.REVERTING])
    )
    if reverting or action.state == ActionState.REVERTED:
        total = (
            counts[TargetState.REVERTED]
            + counts[TargetState.REVERT_PENDING]
            + counts[TargetState.REVERTING]
            + counts[TargetState.REVERT_FAILED]
        )
        done = counts[TargetState.REVERTED]
        failed = counts[TargetState.REVERT_FAILED]
        label = f"{done:,} of {total:,} {noun} reverted"
    else:
        total = counts["total"] - counts[TargetState.EXCLUDED]
        # Reverted targets were carried out first: they count as done here.
        done = (
            counts[TargetState.EXECUTED]
            + counts[TargetState.REVERTED]
            + counts[TargetState.REVERT_FAILED]
            + counts[TargetState.REVERT_PENDING]
            + counts[TargetState.REVERTING]
        )
        failed = counts[TargetState.FAILED]
        label = f"{done:,} of {total:,} {noun} {verb}"
    if failed:
        label += f", {failed:,} failed"
    if not reverting and action.state != ActionState.REVERTED and counts[TargetState.REVERTED]:
        label += f", {counts[TargetState.REVERTED]:,} since reverted"
    if action.state == ActionState.PAUSED:
        label += " (paused)"
    return {
        "action": action.pk,
        "state": action.state,
        "state_label": action.get_state_display(),
        "total": total,
        "done": done,
        "failed": failed,
        "settled": done + failed,
        "finished": action.state in FINISHED_STATES,
        "label": label,
        "counts": {k: v for k, v in counts.items() if k != "total"},
        "paused_reason": action.paused_reason,
    }


@dataclass
class BlastRadius:
    accounts: int = 0
    protected_count: int = 0
    # The first PROTECTED_SHOWN protected targets, each with its override button;
    # the rest are listed by the targets table's "excluded" filter.
    protected: list[ActionTarget] = field(default_factory=list)
    other_cases: int = 0
    other_case_sample: list[Case] = field(default_factory=list)
    networks: int = 0
    network_accounts: int = 0
    network_account_sample: list[str] = field(default_factory=list)

    @property
    def protected_not_shown(self) -> int:
        return self.protected_count - len(self.protected)


# A campaign's case may hold tens of thousands of accounts, some hundreds of them
# protected: the page lists this many and counts the rest.
PROTECTED_SHOWN = 50


def blast_radius(action: Action) -> BlastRadius:
    """What approving touches: accounts, protected ones, other open cases, and for
    network targets the ordinary accounts (not in this case) seen on those networks.

    A fixed number of queries whatever the number of targets, each reading the
    action's targets by index (docs/enforcement-scale.md shows the plans)."""
    radius = BlastRadius()
    targets = ActionTarget.objects.filter(action=action)
    live = ~Q(state=TargetState.EXCLUDED)
    counts = targets.aggregate(
        accounts=Count("pk", filter=Q(target_type=TargetType.ACCOUNT) & live),
        protected=Count("pk", filter=Q(is_protected=True)),
        networks=Count(
            "pk", filter=Q(target_type__in=(TargetType.IP, TargetType.CIDR, TargetType.ASN)) & live
        ),
    )
    radius.accounts = counts["accounts"]
    radius.protected_count = counts["protected"]
    if radius.protected_count:
        radius.protected = list(
            targets.filter(is_protected=True)
            .select_related("override_by")
            .order_by("value")[:PROTECTED_SHOWN]
        )
    if radius.accounts:
        radius.other_cases, radius.other_case_sample = _other_open_cases(action)

    radius.networks = counts["networks"]
    if radius.networks:
        networks = list(
            targets.filter(target_type__in=(TargetType.IP, TargetType.CIDR, TargetType.ASN))
            .filter(live)
            .values_list("target_type", "value")
        )
        radius.network_accounts, radius.network_account_sample = _accounts_on_networks(
            action.case_id, networks
        )
    return radius


# Open cases other than the action's that hold one of its (not excluded)
# accounts: counted and sampled in one statement, the case ids found once.
# Each account's links are looked up by case_account_by_account; OFFSET 0
# keeps the planner from turning the lookups into a scan of every link, so
# the time follows the number of targets, not the size of the links table
# (docs/enforcement-scale.md).
OTHER_OPEN_CASES_SQL = """
    WITH touched AS (
        SELECT DISTINCT link.case_id
          FROM cases_actiontarget t
         CROSS JOIN LATERAL (
               SELECT ca.case_id FROM cases_caseaccount ca
                WHERE ca.account_id = t.account_id AND ca.case_id <> %(case)s
               OFFSET 0) link
         WHERE t.action_id = %(action)s AND t.account_id IS NOT NULL
           AND t.state <> %(excluded)s
    ), open_cases AS (
        SELECT c.id FROM touched JOIN cases_case c ON c.id = touched.case_id
         WHERE c.status = ANY(%(open)s)
    )
    SELECT (SELECT count(*) FROM open_cases),
           ARRAY(SELECT id FROM open_cases ORDER BY id DESC LIMIT %(sample)s)
"""


def _other_open_cases(action: Action) -> tuple[int, list[Case]]:
    with connection.cursor() as cursor:
        cursor.execute(
            OTHER_OPEN_CASES_SQL,
            {
                "action": action.pk,
                "case": action.case_id,
                "excluded": TargetState.EXCLUDED,
                "open": [str(status) for status in OPEN_STATUSES],
                "sample": SAMPLE,
            },
        )
        count, sample_ids = cursor.fetchone()
    cases = Case.objects.in_bulk(sample_ids) if sample_ids else {}
    return count, [cases[pk] for pk in sample_ids if pk in cases]


NETWORK_ACCOUNTS_SQL = """
    WITH seen AS (
        SELECT DISTINCT ai.account_id
          FROM cases_accountindicator ai
          JOIN cases_indicator i ON i.id = ai.indicator_id
         WHERE CASE
                 WHEN i.type = 'ip' THEN i.value::inet <<= ANY(%(nets)s::cidr[])
                 WHEN i.type = 'cidr' THEN i.value::cidr <<= ANY(%(nets)s::cidr[])
                 WHEN i.type = 'asn' THEN i.value = ANY(%(asns)s::text[])
                 ELSE false
               END
           AND ai.account_id NOT IN (
                 SELECT account_id FROM cases_caseaccount WHERE case_id = %(case)s)
    )
    SELECT (SELECT count(*) FROM seen),
           ARRAY(SELECT a.external_id FROM seen JOIN cases_account a ON a.id = seen.account_id
                  ORDER BY a.external_id LIMIT %(sample)s)
"""


def _accounts_on_networks(case_id: int, networks: list[tuple[str, str]]) -> tuple[int, list[str]]:
    nets = [value for kind, value in networks if kind in (TargetType.IP, TargetType.CIDR)]
    asns = [value for kind, value in networks if kind == TargetType.ASN]
    with connection.cursor() as cursor:
        cursor.execute(
            NETWORK_ACCOUNTS_SQL, {"nets": nets, "asns": asns, "case": case_id, "sample": SAMPLE}
        )
        count, sample = cursor.fetchone()
    return count, list(sample)


def approval_queue() -> QuerySet[Action]:
    """Actions awaiting a decision, oldest first, with what the queue shows."""
    return (
        Action.objects.filter(state__in=AWAITING_DECISION)
        .select_related("case", "proposed_by", "approved_by")
        .annotate(
            target_count=Count("targets", filter=~Q(targets__state=TargetState.EXCLUDED)),
            excluded_count=Count("targets", filter=Q(targets__state=TargetState.EXCLUDED)),
        )
        .order_by("proposed_at", "pk")
    )


def paused_actions() -> QuerySet[Action]:
    return Action.objects.filter(state=ActionState.PAUSED).select_related("case").order_by("pk")


@dataclass
class CaseAccounts:
    """What the propose page says about "every account linked to the case"."""

    linked: int = 0
    protected: int = 0
    protected_sample: list[str] = field(default_factory=list)

    @property
    def acted_on(self) -> int:
        return self.linked - self.protected


# One pass over the case's links, each account read by its key (OFFSET 0, as
# in OTHER_OPEN_CASES_SQL): never a scan of every account for the protected ones.
CASE_ACCOUNTS_SQL = """
    SELECT count(*), count(*) FILTER (WHERE a.is_protected),
           (array_agg(a.external_id ORDER BY a.external_id)
              FILTER (WHERE a.is_protected))[1:%(sample)s]
      FROM cases_caseaccount ca
     CROSS JOIN LATERAL (
           SELECT is_protected, external_id FROM cases_account WHERE id = ca.account_id
           OFFSET 0) a
     WHERE ca.case_id = %(case)s
"""


def case_accounts(case_id: int) -> CaseAccounts:
    """Counts of a case's accounts and protected ones, and a few protected names:
    one query, however many accounts the case links."""
    with connection.cursor() as cursor:
        cursor.execute(CASE_ACCOUNTS_SQL, {"case": case_id, "sample": SAMPLE})
        linked, protected, sample = cursor.fetchone()
    return CaseAccounts(linked=linked, protected=protected, protected_sample=list(sample or []))
