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
    protected: list[ActionTarget] = field(default_factory=list)
    other_cases: int = 0
    other_case_sample: list[Case] = field(default_factory=list)
    networks: int = 0
    network_accounts: int = 0
    network_account_sample: list[str] = field(default_factory=list)


def blast_radius(action: Action) -> BlastRadius:
    """What approving touches: accounts, protected ones, other open cases, and for
    network targets the ordinary accounts (not in this case) seen on those networks."""
    radius = BlastRadius()
    targets = ActionTarget.objects.filter(action=action)
    radius.accounts = (
        targets.filter(target_type=TargetType.ACCOUNT).exclude(state=TargetState.EXCLUDED).count()
    )
    radius.protected = list(
        targets.filter(is_protected=True).select_related("override_by").order_by("value")
    )
    account_ids = (
        targets.filter(account__isnull=False)
        .exclude(state=TargetState.EXCLUDED)
        .values("account_id")
    )
    other_cases = (
        Case.objects.filter(status__in=OPEN_STATUSES, account_links__account_id__in=account_ids)
        .exclude(pk=action.case_id)
        .distinct()
    )
    radius.other_cases = other_cases.count()
    radius.other_case_sample = list(other_cases.order_by("-pk")[:SAMPLE])

    networks = list(
        targets.filter(target_type__in=(TargetType.IP, TargetType.CIDR, TargetType.ASN))
        .exclude(state=TargetState.EXCLUDED)
        .values_list("target_type", "value")
    )
    radius.networks = len(networks)
    if networks:
        radius.network_accounts, radius.network_account_sample = _accounts_on_networks(
            action.case_id, networks
        )
    return radius


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
