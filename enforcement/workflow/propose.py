"""Proposing an action: validated targets and params, protected accounts excluded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from audit.events import record, record_refusal
from cases.models import Case, CaseAccount
from cases.workflow import (
    OperationRefused,
    TransitionRefused,
    case_follows_proposal,
    lock_case_for_proposal,
    publish_on_commit,
)
from core import text_limits as limits
from core.refusals import audits_refusals
from enforcement.models import KIND_TARGET_TYPES, Action, ActionKind, TargetState, TargetType
from enforcement.signals import publish_action_on_commit
from enforcement.workflow.common import (
    ActionRefused,
    InvalidProposal,
    TargetSpec,
    Unknown,
    WrongState,
    _normalise_value,
    _validate_params,
    limit_text,
    two_approval_kinds,
)
from enforcement.workflow.may import (
    proposal_refusal,
    refuse_if,
)


def _refused(exc: ActionRefused, case_id: int, *args, actor=None, kind="", **kwargs) -> None:
    record_refusal(
        "action.propose_refused",
        exc,
        actor=actor,
        cases=[case_id] if Case.objects.filter(pk=case_id).exists() else [],
        after={"kind": kind},
    )


@audits_refusals(_refused, kinds=(ActionRefused,))
def propose_action(
    case_id: int,
    *,
    actor,
    kind: str,
    targets: Iterable[TargetSpec | tuple[str, str]] | None = None,
    params: dict | None = None,
    notice: str = "",
    rationale: str = "",
    expires_at: datetime | None = None,
) -> Action:
    """Propose an action on a case; the case moves to ``pending_action``.

    ``targets=None`` for an account kind means every account linked to the
    case. Protected accounts are recorded but excluded until a lead overrides
    them one by one. A refusal leaves ``action.propose_refused`` on the trail.
    """
    refuse_if(proposal_refusal(actor))
    if kind not in ActionKind.values:
        raise InvalidProposal(f"{kind!r} is not an action kind.", "kind")
    params = _validate_params(kind, params)
    limit_text(notice, limits.NOTICE, "The notice", "notice")
    limit_text(rationale, limits.RATIONALE, "The rationale", "rationale")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidProposal("The expiry must be in the future.", "expires_at")
    allowed_types = KIND_TARGET_TYPES[kind]

    with transaction.atomic():
        try:
            case = lock_case_for_proposal(case_id, actor=actor)
        except (Case.DoesNotExist, OperationRefused):
            # A restricted case the actor may not see is, to them, no case at
            # all: answering otherwise would tell them it exists.
            raise Unknown(f"There is no case {case_id}.") from None
        refuse_if(proposal_refusal(actor, case))
        every_account = targets is None
        if every_account:
            if TargetType.ACCOUNT not in allowed_types:
                raise InvalidProposal(f"{kind} needs targets.", "targets")
            if not CaseAccount.objects.filter(case=case).exists():
                raise InvalidProposal("An action needs at least one target.", "targets")
        else:
            rows = _listed_targets(kind, allowed_types, targets)

        action = Action.objects.create(
            case=case,
            kind=kind,
            params=params,
            notice=notice.strip(),
            rationale=rationale.strip(),
            expires_at=expires_at,
            approvals_required=2 if kind in two_approval_kinds() else 1,
            proposed_by=actor,
        )
        if every_account:
            total, excluded = _insert_case_accounts(action.pk, case.pk)
        else:
            total, excluded = len(rows), _insert_targets(action.pk, rows)
        try:
            case_before, case_after = case_follows_proposal(case, actor=actor)
        except TransitionRefused as exc:
            raise WrongState(str(exc)) from exc
        event = record(
            "action.proposed",
            actor=actor,
            target=action,
            cases=[case.pk],
            before=case_before,
            after={
                **case_after,
                "action": action.pk,
                "kind": kind,
                "targets": total,
                "protected_excluded": excluded,
                "params": params,
                "notice": action.notice,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "approvals_required": action.approvals_required,
            },
            reason=action.rationale,
        )
        publish_on_commit(case, "action.proposed")
        publish_action_on_commit(action, event)
    return action


def _listed_targets(
    kind: str, allowed_types: frozenset[str], targets: Iterable[TargetSpec | tuple[str, str]]
) -> list[tuple[str, str, int | None, bool]]:
    """Validated, normalised and deduplicated ``(type, value, account id, protected)`` rows."""
    specs = [t if isinstance(t, TargetSpec) else TargetSpec(*t) for t in targets]
    if not specs:
        raise InvalidProposal("An action needs at least one target.", "targets")
    normalised: dict[tuple[str, str], None] = {}
    for spec in specs:
        if spec.type not in allowed_types:
            raise InvalidProposal(
                f"{kind} does not target {spec.type} (it targets "
                f"{', '.join(sorted(allowed_types))}).",
                "targets",
            )
        normalised[(spec.type, _normalise_value(spec.type, spec.value))] = None

    account_values = [v for t, v in normalised if t == TargetType.ACCOUNT]
    accounts = _accounts_by_external_id(account_values)
    unknown = [v for v in account_values if v not in accounts]
    if unknown:
        raise InvalidProposal(
            f"Unknown account(s): {', '.join(unknown[:5])}"
            + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""),
            "targets",
        )
    rows = []
    for target_type, value in normalised:
        account_id, protected = accounts.get(value, (None, False))
        if target_type != TargetType.ACCOUNT:
            account_id, protected = None, False
        rows.append((target_type, value, account_id, protected))
    return rows


def _accounts_by_external_id(values: list[str]) -> dict[str, tuple[int, bool]]:
    """One parameter, an array, however many accounts a proposal lists."""
    if not values:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id, id, is_protected FROM cases_account"
            " WHERE external_id = ANY(%s::text[])",
            [values],
        )
        return {ext: (pk, protected) for ext, pk, protected in cursor.fetchall()}


def _insert_targets(action_id: int, rows: list[tuple[str, str, int | None, bool]]) -> int:
    """One INSERT from arrays, whatever the number of targets; returns how many are
    protected (excluded)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_actiontarget"
            " (action_id, target_type, value, account_id, is_protected, state)"
            " SELECT %s, t.type, t.value, t.account_id, t.protected,"
            " CASE WHEN t.protected THEN %s ELSE %s END"
            " FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::boolean[])"
            " AS t(type, value, account_id, protected)",
            [
                action_id,
                TargetState.EXCLUDED,
                TargetState.PENDING,
                [r[0] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
                [r[3] for r in rows],
            ],
        )
    return sum(1 for row in rows if row[3])


# Every account of the case, straight from its links: the rows never pass
# through Python, so a campaign of 25,000 accounts is one statement. Each
# account is read by its key (OFFSET 0 keeps the planner from scanning every
# account instead), so the time follows the case, not the accounts table
# (docs/enforcement-scale.md).
INSERT_CASE_ACCOUNTS = """
    WITH inserted AS (
        INSERT INTO cases_actiontarget
               (action_id, target_type, value, account_id, is_protected, state)
        SELECT %(action)s, %(account)s, a.external_id, a.id, a.is_protected,
               CASE WHEN a.is_protected THEN %(excluded)s ELSE %(pending)s END
          FROM cases_caseaccount ca
         CROSS JOIN LATERAL (
               SELECT id, external_id, is_protected FROM cases_account
                WHERE id = ca.account_id OFFSET 0) a
         WHERE ca.case_id = %(case)s
         ORDER BY a.external_id
        RETURNING is_protected
    )
    SELECT count(*), count(*) FILTER (WHERE is_protected) FROM inserted
"""


def _insert_case_accounts(action_id: int, case_id: int) -> tuple[int, int]:
    """Target every account linked to the case; returns (targets, protected)."""
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_CASE_ACCOUNTS,
            {
                "action": action_id,
                "case": case_id,
                "account": TargetType.ACCOUNT,
                "excluded": TargetState.EXCLUDED,
                "pending": TargetState.PENDING,
            },
        )
        total, excluded = cursor.fetchone()
    return total, excluded
