"""Deciding on a proposal: approve (two-person rule), reject, withdraw, override."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from audit.events import record
from cases.models import Case, CaseStatus
from cases.workflow import publish_on_commit
from core import text_limits as limits
from enforcement.models import Action, ActionState, ActionTarget, TargetState
from enforcement.queue import enqueue_execution
from enforcement.signals import publish_action_on_commit
from enforcement.workflow.common import (
    WrongState,
    audited_refusal,
    limit_text,
    lock_action,
    lock_action_and_case,
    require_reason,
    settle_case,
    snapshot,
)
from enforcement.workflow.may import (
    approval_refusal,
    override_refusal,
    refuse_if,
    rejection_refusal,
    withdrawal_refusal,
)

REJECTION_NEEDS_A_REASON = "A rejection needs a reason: the proposer reads it."


@audited_refusal("approve")
def approve_action(action_id: int, *, actor, comment: str = "") -> Action:
    """Approve (first or second approval). The approver must be a lead other than
    the proposer and, for a second approval, other than the first approver."""
    with transaction.atomic():
        case, action = lock_action_and_case(action_id, actor=actor)
        refuse_if(approval_refusal(action, actor))
        limit_text(comment, limits.DECISION, "The comment", "comment")
        if Case.objects.filter(pk=action.case_id, status=CaseStatus.CLOSED).exists():
            raise WrongState("The case was closed; reopen it before approving its actions.")
        newly_protected = _exclude_protected_since_proposal(action)
        if not action.targets.exclude(state=TargetState.EXCLUDED).exists():
            raise WrongState(
                "Every target is a protected account; override at least one before approving."
            )
        before = snapshot(action)
        now = timezone.now()
        comment = comment.strip()
        if action.state == ActionState.PROPOSED:
            action.approved_by, action.approved_at, action.approval_comment = actor, now, comment
            second = False
        else:
            action.second_approved_by = actor
            action.second_approved_at = now
            action.second_approval_comment = comment
            second = True
        approvals = 2 if second else 1
        if approvals >= action.approvals_required:
            action.state = ActionState.APPROVED
            action.decided_by, action.decided_at = actor, now
            enqueue_execution(action.pk)
        else:
            action.state = ActionState.AWAITING_SECOND_APPROVAL
        action.save()
        # The approval may leave no action of the case awaiting one: its SLA resumes.
        settle_case(case, actor=actor)
        after = snapshot(action)
        if newly_protected:
            after["protected_since_proposal"] = newly_protected
        event = record(
            "action.second_approved" if second else "action.approved",
            actor=actor,
            target=action,
            cases=[action.case_id],
            before=before,
            after=after,
            reason=comment,
        )
        publish_action_on_commit(action, event)
    return action


# Accounts a lead flagged protected after the proposal: left out like those
# protected before it, unless a lead overrode that very target. One statement
# over the action's own targets, each account read by its key.
_EXCLUDE_NEWLY_PROTECTED = """
    UPDATE cases_actiontarget AS t
       SET state = %(excluded)s, is_protected = TRUE
     WHERE t.action_id = %(action)s
       AND t.state = %(pending)s
       AND t.override_by_id IS NULL
       AND EXISTS (SELECT 1 FROM cases_account AS a WHERE a.id = t.account_id AND a.is_protected)
    RETURNING t.value
"""


def _exclude_protected_since_proposal(action: Action) -> list[str]:
    """Leave out the targets whose account became protected since the proposal;
    their values, for the approval's event."""
    with connection.cursor() as cursor:
        cursor.execute(
            _EXCLUDE_NEWLY_PROTECTED,
            {
                "action": action.pk,
                "excluded": TargetState.EXCLUDED,
                "pending": TargetState.PENDING,
            },
        )
        return sorted(value for (value,) in cursor.fetchall())


@audited_refusal("reject")
def reject_action(action_id: int, *, actor, comment: str = "") -> Action:
    with transaction.atomic():
        case, action = lock_action_and_case(action_id, actor=actor)
        refuse_if(rejection_refusal(action, actor))
        require_reason(comment, REJECTION_NEEDS_A_REASON, "comment")
        # The proposer reads it as the reason for the rejection, as the page names it.
        limit_text(comment, limits.DECISION, "The reason", "comment")
        _settle(case, action, ActionState.REJECTED, "action.rejected", actor=actor, reason=comment)
    return action


@audited_refusal("withdraw")
def withdraw_action(action_id: int, *, actor, reason: str = "") -> Action:
    """The proposer (or a lead) takes back an action not yet approved."""
    with transaction.atomic():
        case, action = lock_action_and_case(action_id, actor=actor)
        refuse_if(withdrawal_refusal(action, actor))
        require_reason(reason, "Withdrawing an action needs a reason.", "reason")
        limit_text(reason, limits.DECISION, "The reason", "reason")
        _settle(case, action, ActionState.WITHDRAWN, "action.withdrawn", actor=actor, reason=reason)
    return action


def _settle(case: Case, action: Action, state: str, verb: str, *, actor, reason: str) -> None:
    """Ends an undecided action without running it and moves its case on.

    The caller holds the locks on both rows (``lock_action_and_case``)."""
    before = snapshot(action)
    action.state = state
    action.decided_by, action.decided_at = actor, timezone.now()
    action.decision_reason = reason.strip()
    action.save()
    case_before, case_after = settle_case(case, actor=actor)
    event = record(
        verb,
        actor=actor,
        target=action,
        cases=[action.case_id],
        before={**case_before, **before},
        after={**case_after, **snapshot(action)},
        reason=action.decision_reason,
    )
    publish_on_commit(case, verb)
    publish_action_on_commit(action, event)


@audited_refusal("override")
def override_protected(action_id: int, target_id: int, *, actor, reason: str) -> ActionTarget:
    """A lead includes one protected account in the action, saying why."""
    with transaction.atomic():
        action = lock_action(action_id, actor=actor)
        refuse_if(override_refusal(action, actor))
        require_reason(reason, "An override needs a reason.", "reason")
        limit_text(reason, limits.DECISION, "The reason", "reason")
        target = ActionTarget.objects.filter(action=action, pk=target_id).first()
        if target is None or target.state != TargetState.EXCLUDED:
            raise WrongState("That target is not an excluded protected account.")
        target.state = TargetState.PENDING
        target.override_by = actor
        target.override_reason = reason.strip()
        target.save(update_fields=["state", "override_by", "override_reason"])
        record(
            "action.protected_overridden",
            actor=actor,
            target=action,
            cases=[action.case_id],
            before={"target": target.value, "state": TargetState.EXCLUDED},
            after={"target": target.value, "state": TargetState.PENDING},
            reason=target.override_reason,
        )
    return target
