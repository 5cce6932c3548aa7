"""The case's moves that follow its enforcement actions.

The action workflow itself (propose, approve, reject, withdraw, execute)
lives in ``enforcement.workflow``; it calls these hooks inside its own
transaction, with the case locked, and writes the one audit event that
carries the case's before/after status. The hooks decide the moves through
the transition table and write no event of their own. Which action states
are live or carried out is enforcement's knowledge: it tells the hooks.
"""

from __future__ import annotations

from cases.models import Case
from cases.visibility import can_see
from cases.workflow import sla
from cases.workflow.common import apply_status, lock_case, status_snapshot, touch
from cases.workflow.table import (
    OperationRefused,
    S,
    TransitionRefused,
    Via,
    allowed_transitions,
    rules_for,
)


def lock_case_for_proposal(case_id: int, *, actor) -> Case:
    """Lock the case ``actor`` proposes an action on, as the case pages would show it.

    Raises ``Case.DoesNotExist`` when there is no such case and
    ``OperationRefused`` when the case is restricted and ``actor`` may not see it.
    """
    case = lock_case(case_id)
    if not can_see(actor, case):
        raise OperationRefused("This case is restricted.")
    return case


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
    # The new proposal awaits approval: the case's SLA stands still meanwhile.
    changed += sla.follow_approvals(case, awaiting=True)
    touch(case, actor, changed)
    return before, status_snapshot(case)


def case_follows_actions(
    case: Case, *, live: bool, carried_out: bool, awaiting_approval: bool, actor=None
) -> tuple[dict, dict]:
    """Move a pending_action case on once none of its actions is live any more.

    ``live``: one of the case's actions is still on its way to being carried
    out; ``carried_out``: one was, at least in part; ``awaiting_approval``:
    one still awaits a lead's approval (the SLA stays paused until none does).
    To actioned when one was carried out, back to investigating otherwise
    (every action rejected, withdrawn or failed); nothing moves while one is
    still live, nor when the case left pending_action meanwhile. Call it
    inside the transaction that changed an action's state, with the case
    locked, before that change's one audit event, which carries the returned
    before/after status. It writes no event itself.
    """
    before = status_snapshot(case)
    changed: list[str] = []
    if case.status == S.PENDING_ACTION and not live:
        settled = S.ACTIONED if carried_out else S.INVESTIGATING
        via = Via.ACTIONS_EXECUTED if settled == S.ACTIONED else Via.ACTIONS_SETTLED
        if rules_for(case, settled, via, actor):
            changed = apply_status(case, settled)
    changed += sla.follow_approvals(case, awaiting=awaiting_approval)
    touch(case, actor, changed)
    return before, status_snapshot(case)
