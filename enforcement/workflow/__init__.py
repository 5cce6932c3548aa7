"""The action workflow: propose, approve, reject, withdraw, override, revert, retry, expire.

Pages, the API, the admin and the beat sweeper all call these functions;
none of them contains workflow logic. Each step locks the action row,
checks its state and the actor's roles, writes the change and one audit
event in one transaction, and enqueues execution on commit.

Being a superuser exempts nobody: only roles count, and approval needs a
lead who is not the proposer (nor, for a second approval, the first approver).

A refused step raises an ``ActionRefused`` (a ``core.refusals.Refused``:
``NotPermitted`` is forbidden, ``WrongState`` a conflict, ``InvalidProposal``
invalid, ``Unknown`` not found) after writing ``action.<step>_refused`` to
the trail itself. Each step's rule (who, in which state) is a function in
``enforcement.workflow.may``; pages ask its ``may_*`` predicates which
buttons to show.
"""

from enforcement.workflow.after import (
    expire_due_actions,
    progress,
    progress_by_action,
    retry_action,
    revert_action,
)
from enforcement.workflow.common import (
    AWAITING_DECISION,
    PROPOSABLE_CASE_STATUSES,
    REVERTIBLE_ACTION_STATES,
    REVERTIBLE_TARGET_STATES,
    ActionRefused,
    InvalidProposal,
    NotPermitted,
    TargetSpec,
    Unknown,
    WrongState,
    lock_action_and_case,
    settle_case,
    two_approval_kinds,
)
from enforcement.workflow.decide import (
    REJECTION_NEEDS_A_REASON,
    approve_action,
    override_protected,
    reject_action,
    withdraw_action,
)
from enforcement.workflow.may import (
    may_approve,
    may_override,
    may_propose,
    may_reject,
    may_retry,
    may_revert,
    may_withdraw,
    proposal_refusal,
    step_permissions,
)
from enforcement.workflow.propose import propose_action

__all__ = [
    "AWAITING_DECISION",
    "PROPOSABLE_CASE_STATUSES",
    "REJECTION_NEEDS_A_REASON",
    "REVERTIBLE_ACTION_STATES",
    "REVERTIBLE_TARGET_STATES",
    "ActionRefused",
    "InvalidProposal",
    "NotPermitted",
    "TargetSpec",
    "Unknown",
    "WrongState",
    "approve_action",
    "expire_due_actions",
    "lock_action_and_case",
    "may_approve",
    "may_override",
    "may_propose",
    "may_reject",
    "may_retry",
    "may_revert",
    "may_withdraw",
    "override_protected",
    "progress",
    "progress_by_action",
    "proposal_refusal",
    "propose_action",
    "reject_action",
    "retry_action",
    "revert_action",
    "settle_case",
    "step_permissions",
    "two_approval_kinds",
    "withdraw_action",
]
