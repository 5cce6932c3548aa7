"""The case's moves that follow its enforcement actions.

The action workflow itself (propose, approve, reject, withdraw, execute)
lives in ``enforcement.workflow``; it calls these hooks inside its own
transaction, with the case locked, and writes the one audit event that
carries the case's before/after status. The hooks decide the moves through
the transition table and write no event of their own.
"""

from __future__ import annotations

from cases.models import CARRIED_OUT_STATES, LIVE_ACTION_STATES, Case
from cases.workflow.common import apply_status, status_snapshot, touch
from cases.workflow.table import S, TransitionRefused, Via, allowed_transitions, rules_for


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
    still live, nor when the case left pending_action meanwhile. Call it
    inside the transaction that changed an action's state, with the case
    locked, before that change's one audit event, which carries the returned
    before/after status. It writes no event itself.
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


def _settled_status(case: Case) -> str | None:
    """Where a pending_action case goes once none of its actions is live, else None."""
    states = set(case.actions.values_list("state", flat=True))
    if states & LIVE_ACTION_STATES:
        return None
    return S.ACTIONED if states & CARRIED_OUT_STATES else S.INVESTIGATING
