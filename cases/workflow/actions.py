"""Proposing, withdrawing and rejecting actions, and the case's moves that follow them.

Approval and execution live with the enforcement code; it calls
``mark_case_actioned`` once a case's actions are carried out.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.events import record
from cases.models import (
    CARRIED_OUT_STATES,
    KIND_TARGET_TYPES,
    LIVE_ACTION_STATES,
    TWO_APPROVER_KINDS,
    Account,
    Action,
    ActionKind,
    ActionState,
    ActionTarget,
    Case,
    TargetState,
    TargetType,
)
from cases.workflow.common import (
    apply_status,
    lock_case,
    publish_on_commit,
    require_role,
    required_text,
    status_snapshot,
    touch,
)
from cases.workflow.table import (
    LEADS,
    TRANSITIONS,
    WORKERS,
    OperationRefused,
    S,
    TransitionRefused,
    Via,
    allowed_transitions,
    is_person,
    rules_for,
)
from people.roles import Role, has_role

# A case already pending action may receive further proposals (it stays there).
PROPOSAL_STATUSES = frozenset({S.INVESTIGATING, S.ESCALATED, S.PENDING_ACTION})
PROPOSERS = next(r.roles for r in TRANSITIONS if r.via == Via.PROPOSE_ACTION)


def case_follows_proposal(case: Case, *, actor) -> tuple[dict, dict]:
    """Move a case to pending_action because ``actor`` proposed an action on it.

    For any code that creates a proposal: call it inside that transaction,
    with the case locked (``lock_case``), before the one audit event of the
    proposal, which carries the returned before/after status. It writes no
    event itself. Raises ``TransitionRefused`` when the table does not allow
    the move; a case already pending action stays there.
    """
    before = status_snapshot(case)
    changed: list[str] = []
    if case.status != S.PENDING_ACTION:
        if not rules_for(case, S.PENDING_ACTION, Via.PROPOSE_ACTION, actor):
            raise TransitionRefused(
                case, S.PENDING_ACTION, allowed_transitions(case, actor), "by proposing an action"
            )
        changed = apply_status(case, S.PENDING_ACTION)
    touch(case, actor, changed)
    return before, status_snapshot(case)


def case_follows_actions(case: Case, *, actor=None) -> tuple[dict, dict]:
    """Move a pending_action case on once none of its actions is live any more.

    To actioned when one was carried out, back to investigating otherwise
    (every action rejected, withdrawn or failed); nothing moves while one is
    still live. Call it inside the transaction that changed an action's
    state, with the case locked, before that change's one audit event, which
    carries the returned before/after status. It writes no event itself.
    """
    before = status_snapshot(case)
    changed: list[str] = []
    if case.status == S.PENDING_ACTION:
        settled = _settled_status(case)
        via = Via.ACTIONS_EXECUTED if settled == S.ACTIONED else Via.ACTIONS_SETTLED
        if settled is not None and rules_for(case, settled, via, actor):
            changed = apply_status(case, settled)
    touch(case, actor, changed)
    return before, status_snapshot(case)


def _clean_targets(kind: str, targets: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    allowed = KIND_TARGET_TYPES[kind]
    cleaned: dict[tuple[str, str], None] = {}
    for target_type, value in targets:
        value = str(value or "").strip()
        if target_type not in allowed:
            names = ", ".join(sorted(allowed))
            raise ValidationError({"targets": f"{kind} targets {names}, not {target_type}."})
        if not value:
            raise ValidationError({"targets": "A target needs a value."})
        cleaned[(str(target_type), value)] = None
    if not cleaned:
        raise ValidationError({"targets": "An action needs at least one target."})
    return list(cleaned)


def _clean_params(kind: str, params: dict | None) -> dict:
    params = dict(params or {})
    if kind == ActionKind.RATE_LIMIT:
        rpm = params.get("requests_per_minute")
        if not isinstance(rpm, int) or isinstance(rpm, bool) or rpm < 0:
            raise ValidationError({"params": "rate_limit needs requests_per_minute, an int ≥ 0."})
        return {"requests_per_minute": rpm}
    if kind == ActionKind.NOTIFY_PARTNER:
        summary = str(params.get("summary") or "").strip()
        if not summary:
            raise ValidationError({"params": "notify_partner needs a summary."})
        return {"summary": summary}
    return {}


def propose_action(
    case: Case | int,
    kind: str,
    targets: Iterable[tuple[str, str]],
    *,
    actor,
    rationale: str,
    params: dict | None = None,
    notice: str = "",
    expires_at=None,
) -> Action:
    """Propose an enforcement action; the case moves to pending_action.

    ``targets`` are ``(target type, value)`` pairs; account targets name the
    account's external id and must exist. Protected accounts are kept as
    excluded targets: only a lead's override at approval puts them back.
    Approval and execution are separate operations.
    """
    if kind not in ActionKind.values:
        raise ValidationError({"kind": f"Unknown action kind {kind!r}."})
    cleaned = _clean_targets(kind, targets)
    clean_params = _clean_params(kind, params)
    with transaction.atomic():
        case = lock_case(case)
        if case.status not in PROPOSAL_STATUSES or not is_person(actor):
            raise TransitionRefused(
                case, S.PENDING_ACTION, allowed_transitions(case, actor), "by proposing an action"
            )
        require_role(actor, PROPOSERS, "Proposing an action", case)
        rationale = required_text(rationale, "rationale")

        account_values = [value for target_type, value in cleaned if target_type == "account"]
        accounts = Account.objects.in_bulk(account_values, field_name="external_id")
        missing = sorted(set(account_values) - set(accounts))
        if missing:
            raise ValidationError({"targets": f"Unknown accounts: {', '.join(missing)}."})

        action = Action.objects.create(
            case=case,
            kind=kind,
            params=clean_params,
            rationale=rationale,
            notice=(notice or "").strip(),
            expires_at=expires_at,
            approvals_required=2 if kind in TWO_APPROVER_KINDS else 1,
            proposed_by=actor,
        )
        rows = []
        for target_type, value in cleaned:
            account = accounts.get(value) if target_type == TargetType.ACCOUNT else None
            protected = bool(account and account.is_protected)
            rows.append(
                ActionTarget(
                    action=action,
                    target_type=target_type,
                    value=value,
                    account=account,
                    is_protected=protected,
                    state=TargetState.EXCLUDED if protected else TargetState.PENDING,
                )
            )
        ActionTarget.objects.bulk_create(rows)

        before, after = case_follows_proposal(case, actor=actor)
        record(
            "action.proposed",
            actor=actor,
            target=action,
            cases=[case],
            before=before,
            after={
                **after,
                "action": action.pk,
                "kind": kind,
                "params": clean_params,
                "targets": [f"{t}:{v}" for t, v in cleaned],
                "protected": sorted(r.value for r in rows if r.is_protected),
            },
            reason=rationale,
        )
        publish_on_commit(case, "action.proposed")
    return action


def _settled_status(case: Case) -> str | None:
    """Where a pending_action case goes once none of its actions is live, else None."""
    states = set(case.actions.values_list("state", flat=True))
    if states & LIVE_ACTION_STATES:
        return None
    return S.ACTIONED if states & CARRIED_OUT_STATES else S.INVESTIGATING


def _end_action(action: Action | int, state: str, verb: str, *, actor, reason: str) -> Action:
    action_pk = action.pk if isinstance(action, Action) else int(action)
    with transaction.atomic():
        case_id = Action.objects.values_list("case_id", flat=True).get(pk=action_pk)
        case = lock_case(case_id)
        action = Action.objects.select_for_update().get(pk=action_pk)
        if state == ActionState.WITHDRAWN:
            is_proposer = getattr(actor, "pk", None) == action.proposed_by_id
            if not (is_person(actor) and (is_proposer or has_role(actor, Role.LEAD))):
                raise OperationRefused("Only its proposer or a lead may withdraw an action.")
            require_role(actor, WORKERS, "Withdrawing an action", case)
        else:
            require_role(actor, LEADS, "Rejecting an action", case)
            if actor.pk == action.proposed_by_id:
                raise OperationRefused("An action is rejected by a lead other than its proposer.")
        reason = required_text(reason, "reason")
        if action.state not in (ActionState.PROPOSED, ActionState.AWAITING_SECOND_APPROVAL):
            raise ValidationError(f"This action is {action.state} and can no longer be {state}.")

        previous_state = action.state
        action.state = state
        action.decided_by = actor
        action.decided_at = timezone.now()
        action.decision_reason = reason
        action.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        before, after = case_follows_actions(case, actor=actor)
        record(
            verb,
            actor=actor,
            target=action,
            cases=[case],
            before={**before, "action_state": previous_state},
            after={**after, "action_state": state},
            reason=reason,
        )
        publish_on_commit(case, verb)
    return action


def withdraw_action(action: Action | int, *, actor, reason: str) -> Action:
    """The proposer (or a lead) withdraws a proposal not yet approved."""
    return _end_action(
        action, ActionState.WITHDRAWN, "action.withdrawn", actor=actor, reason=reason
    )


def reject_action(action: Action | int, *, actor, reason: str) -> Action:
    """A lead other than the proposer rejects a proposal."""
    return _end_action(action, ActionState.REJECTED, "action.rejected", actor=actor, reason=reason)


def mark_case_actioned(case: Case | int, *, actor=None, system: str = "enforcement") -> Case:
    """pending_action -> actioned, called by execution once the case's actions are carried out.

    Refused while any of its actions is still live, or when none was carried
    out. ``actor`` is the person the execution acts for, if any.
    """
    with transaction.atomic():
        case = lock_case(case)
        if not rules_for(case, S.ACTIONED, Via.ACTIONS_EXECUTED, actor) or (
            _settled_status(case) != S.ACTIONED
        ):
            raise TransitionRefused(
                case,
                S.ACTIONED,
                allowed_transitions(case, actor),
                "only once its actions are carried out",
            )
        before, after = case_follows_actions(case, actor=actor)
        record(
            "case.actioned",
            actor=actor if is_person(actor) else None,
            system=None if is_person(actor) else system,
            target=case,
            cases=[case],
            before=before,
            after=after,
        )
        publish_on_commit(case, "case.actioned")
    return case
