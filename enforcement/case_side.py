"""What an action's progress means for its case, through the cases workflow.

The transition table in ``cases.workflow`` decides the moves (proposing ->
``pending_action``; no live action left -> ``actioned`` or back to
``investigating``). Its hooks write no audit event: the action step's one
event carries the case's before/after status.

Lock order everywhere: the case, then the action.
"""

from __future__ import annotations

from cases.models import Action, Case
from cases.workflow.actions import case_follows_actions, case_follows_proposal
from cases.workflow.common import lock_case, publish_on_commit
from cases.workflow.table import TransitionRefused


class CaseRefused(Exception):
    pass


def lock_case_and_action(action_id: int) -> tuple[Case, Action]:
    case_id = Action.objects.values_list("case_id", flat=True).get(pk=action_id)
    case = lock_case(case_id)
    action = Action.objects.select_for_update().get(pk=action_id)
    return case, action


def action_proposed(case: Case, *, actor) -> tuple[dict, dict]:
    """``case`` is locked by the caller. Returns the case's before/after status."""
    try:
        return case_follows_proposal(case, actor=actor)
    except TransitionRefused as exc:
        raise CaseRefused(str(exc)) from exc


def action_settled(case: Case, *, actor=None) -> tuple[dict, dict]:
    """An action of the locked ``case`` left the live states: move the case on if
    nothing else is live. Returns the case's before/after status."""
    return case_follows_actions(case, actor=actor)


def published(case: Case, verb: str) -> None:
    publish_on_commit(case, verb)
