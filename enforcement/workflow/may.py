"""Who may take which step on an action, and in which state.

Each rule is written once, as a function answering the refusal it would
raise (``None`` when the step is allowed). The steps raise that refusal;
pages ask the ``may_*`` predicates which buttons to show. Checks that need
more than the action and the person (the case closed meanwhile, every
target protected, the targets named) stay in the step itself.
"""

from __future__ import annotations

from cases.models import Case
from enforcement.models import Action, ActionState
from enforcement.workflow.common import (
    AWAITING_DECISION,
    PROPOSABLE_CASE_STATUSES,
    REVERTIBLE_ACTION_STATES,
    ActionRefused,
    NotPermitted,
    WrongState,
)
from people.roles import INVESTIGATORS_AND_LEADS, LEADS, LEADS_AND_ADMINISTRATORS, has_role


def refuse_if(refusal: ActionRefused | None) -> None:
    if refusal is not None:
        raise refusal


def _not_awaiting_decision(action: Action, ending: str) -> WrongState | None:
    if action.state in AWAITING_DECISION:
        return None
    return WrongState(f"This action is {action.get_state_display().lower()}{ending}")


def proposal_refusal(actor, case: Case | None = None) -> ActionRefused | None:
    """Investigators and leads propose, on an investigating, escalated or pending case."""
    if not has_role(actor, *INVESTIGATORS_AND_LEADS):
        return NotPermitted("Only investigators and leads propose actions.")
    if case is not None and case.status not in PROPOSABLE_CASE_STATUSES:
        return WrongState(
            f"Actions are proposed on investigating or escalated cases; "
            f"this one is {case.get_status_display().lower()}."
        )
    return None


def approval_refusal(action: Action, actor) -> ActionRefused | None:
    """A lead other than the proposer (and than the first approver) approves."""
    if not has_role(actor, *LEADS):
        return NotPermitted("Only leads approve actions.")
    if action.proposed_by_id == actor.pk:
        return NotPermitted("The proposer of an action cannot approve it.")
    if refusal := _not_awaiting_decision(action, ", not awaiting approval."):
        return refusal
    if action.state == ActionState.AWAITING_SECOND_APPROVAL and action.approved_by_id == actor.pk:
        return NotPermitted("The second approval must come from another lead.")
    return None


def rejection_refusal(action: Action, actor) -> ActionRefused | None:
    if not has_role(actor, *LEADS):
        return NotPermitted("Only leads reject actions.")
    if action.proposed_by_id == actor.pk:
        return NotPermitted("The proposer withdraws an action rather than rejecting it.")
    return _not_awaiting_decision(action, ", not awaiting approval.")


def withdrawal_refusal(action: Action, actor) -> ActionRefused | None:
    """The proposer (or a lead) takes back an action not yet approved."""
    if not has_role(actor, *INVESTIGATORS_AND_LEADS):
        return NotPermitted("Only investigators and leads withdraw actions.")
    if action.proposed_by_id != actor.pk and not has_role(actor, *LEADS):
        return NotPermitted("Only the proposer or a lead withdraws an action.")
    return _not_awaiting_decision(action, "; it can no longer be withdrawn.")


def override_refusal(action: Action, actor) -> ActionRefused | None:
    if not has_role(actor, *LEADS):
        return NotPermitted("Only a lead overrides a protected account.")
    if action.state not in AWAITING_DECISION:
        return WrongState("Protected accounts are overridden before the action is approved.")
    return None


def revert_refusal(action: Action, actor, *, system: str | None = None) -> ActionRefused | None:
    """Leads revert (and the system, on expiry) an executed action."""
    if system is None and not has_role(actor, *LEADS):
        return NotPermitted("Only leads revert actions.")
    if action.state not in REVERTIBLE_ACTION_STATES:
        return WrongState(
            f"This action is {action.get_state_display().lower()}; "
            "only executed actions are reverted."
        )
    return None


def retry_refusal(action: Action, actor) -> ActionRefused | None:
    if not has_role(actor, *LEADS_AND_ADMINISTRATORS):
        return NotPermitted("Only leads and administrators resume a paused action.")
    if action.state != ActionState.PAUSED:
        return WrongState(f"This action is {action.get_state_display().lower()}, not paused.")
    return None


def may_propose(case: Case, actor) -> bool:
    return proposal_refusal(actor, case) is None


def may_approve(action: Action, actor) -> bool:
    return approval_refusal(action, actor) is None


def may_reject(action: Action, actor) -> bool:
    return rejection_refusal(action, actor) is None


def may_withdraw(action: Action, actor) -> bool:
    return withdrawal_refusal(action, actor) is None


def may_override(action: Action, actor) -> bool:
    return override_refusal(action, actor) is None


def may_revert(action: Action, actor) -> bool:
    return revert_refusal(action, actor) is None


def may_retry(action: Action, actor) -> bool:
    return retry_refusal(action, actor) is None


def step_permissions(action: Action, actor) -> dict[str, bool]:
    """Every step's predicate for one action, for a page's buttons."""
    return {
        "approve": may_approve(action, actor),
        "reject": may_reject(action, actor),
        "withdraw": may_withdraw(action, actor),
        "override": may_override(action, actor),
        "revert": may_revert(action, actor),
        "retry": may_retry(action, actor),
    }
