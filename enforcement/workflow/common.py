"""What every workflow step shares: roles, states, refusals, locking, validation."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from audit.events import record_refusal
from cases.indicator_values import InvalidIndicator, normalise_asn, normalise_cidr, normalise_ip
from cases.models import Case, CaseStatus
from cases.visibility import can_see
from cases.workflow import case_follows_actions, lock_case
from core import text_limits as limits
from core.refusals import Conflict, Forbidden, Invalid, NotFound, Refused, audits_refusals
from enforcement.models import (
    AWAITING_APPROVAL_STATES,
    CARRIED_OUT_STATES,
    LIVE_ACTION_STATES,
    Action,
    ActionKind,
    ActionState,
    TargetState,
    TargetType,
)
from people.roles import CASE_READERS, has_role

AWAITING_DECISION = (ActionState.PROPOSED, ActionState.AWAITING_SECOND_APPROVAL)
REVERTIBLE_ACTION_STATES = (ActionState.EXECUTED, ActionState.PARTIALLY_FAILED)
REVERTIBLE_TARGET_STATES = (TargetState.EXECUTED, TargetState.REVERT_FAILED)
# Cases an action may be proposed on; proposing moves them to pending_action.
PROPOSABLE_CASE_STATUSES = (
    CaseStatus.INVESTIGATING,
    CaseStatus.ESCALATED,
    CaseStatus.PENDING_ACTION,
)


# Each step's refusals are ``core.refusals`` codes, and ``ActionRefused`` catches them all.
class ActionRefused(Refused):
    """A step this actor may not take, or not in this state. The message says why."""


class NotPermitted(ActionRefused, Forbidden):
    pass


class WrongState(ActionRefused, Conflict):
    pass


class InvalidProposal(ActionRefused, Invalid):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)


class Unknown(ActionRefused, NotFound):
    """The action (or the case to propose on) does not exist."""


@dataclass(frozen=True)
class TargetSpec:
    type: str
    value: str


def _unknown(action_id: int) -> Unknown:
    return Unknown(f"There is no action {action_id}.")


def refuse_unless_visible(actor, case: Case, action_id: int) -> None:
    """A person who reads cases acts only on actions of cases they may see; for
    them any other action does not exist (the answer for a missing one, so a
    restricted case's actions cannot be found by trying ids). People who read
    no cases (administrators) are refused or let through by the step's own rule."""
    if actor is not None and has_role(actor, *CASE_READERS) and not can_see(actor, case):
        raise _unknown(action_id)


def lock_action(action_id: int, *, actor) -> Action:
    """Lock the action for a step by ``actor`` (None: the system), once it is
    known that they may see its case."""
    action = (
        Action.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(pk=action_id)
        .first()
    )
    if action is None:
        raise _unknown(action_id)
    refuse_unless_visible(actor, action.case, action_id)
    return action


def lock_action_and_case(action_id: int, *, actor) -> tuple[Case, Action]:
    """Lock an action's case, then the action: the lock order of every step that
    moves both. ``actor`` as for ``lock_action``."""
    case_id = Action.objects.filter(pk=action_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise _unknown(action_id)
    case = lock_case(case_id)
    refuse_unless_visible(actor, case, action_id)
    return case, Action.objects.select_for_update().get(pk=action_id)


def settle_case(case: Case, *, actor=None) -> tuple[dict, dict]:
    """An action of the locked ``case`` left the live states: the case moves on if
    none is live any more, and its SLA resumes once none awaits approval.
    Returns the case's before/after status for the step's event."""
    states = set(Action.objects.filter(case=case).values_list("state", flat=True))
    return case_follows_actions(
        case,
        live=bool(states & LIVE_ACTION_STATES),
        carried_out=bool(states & CARRIED_OUT_STATES),
        awaiting_approval=bool(states & AWAITING_APPROVAL_STATES),
        actor=actor,
    )


def require_reason(text: str, message: str, field: str) -> None:
    """Steps that undo or refuse work say why: the trail and the people affected read it."""
    if not (text or "").strip():
        raise InvalidProposal(message, field)


def limit_text(text: str | None, limit: int, what: str, field: str) -> None:
    """Text longer than its limit (``core.text_limits``) is refused, naming the field."""
    if error := limits.too_long((text or "").strip(), limit, what):
        raise InvalidProposal(error, field)


def snapshot(action: Action) -> dict:
    return {"state": action.state}


def audited_refusal(verb: str):
    """A refused step on an action leaves ``action.<verb>_refused`` on its case's trail."""

    def write(exc: ActionRefused, action_id: int, *args, actor=None, **kwargs) -> None:
        action = Action.objects.filter(pk=action_id).first()
        record_refusal(
            f"action.{verb}_refused",
            exc,
            actor=actor,
            target=action,
            cases=[action.case_id] if action else [],
        )

    return audits_refusals(write, kinds=(ActionRefused,))


def two_approval_kinds() -> frozenset[str]:
    return frozenset(getattr(settings, "ACTIONS_TWO_APPROVAL_KINDS", ()))


def _normalise_value(target_type: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidProposal("A target needs a value.", "targets")
    try:
        if target_type == TargetType.IP:
            return normalise_ip(value)
        if target_type == TargetType.CIDR:
            return normalise_cidr(value)
        if target_type == TargetType.ASN:
            return normalise_asn(value)
    except InvalidIndicator:
        what = "an ASN" if target_type == TargetType.ASN else f"a valid {target_type}"
        raise InvalidProposal(f"{value!r} is not {what}.", "targets") from None
    if target_type == TargetType.PARTNER:
        partners = set(getattr(settings, "ENFORCEMENT_PARTNERS", ()))
        if value not in partners:
            raise InvalidProposal(f"{value!r} is not a configured partner.", "targets")
    return value


def _validate_params(kind: str, params: dict | None) -> dict:
    params = dict(params or {})
    if kind == ActionKind.RATE_LIMIT:
        rpm = params.get("requests_per_minute")
        if (
            not isinstance(rpm, int)
            or isinstance(rpm, bool)
            or rpm < 0
            or set(params) != {"requests_per_minute"}
        ):
            raise InvalidProposal(
                'rate_limit needs params {"requests_per_minute": an integer >= 0}.', "params"
            )
        return params
    if kind == ActionKind.NOTIFY_PARTNER:
        summary = params.get("summary")
        if not isinstance(summary, str) or not summary.strip() or set(params) != {"summary"}:
            raise InvalidProposal('notify_partner needs params {"summary": text}.', "params")
        limit_text(summary, limits.PARTNER_SUMMARY, "The summary", "params.summary")
        return params
    if params:
        raise InvalidProposal(f"{kind} takes no params.", "params")
    return params
