"""The case workflow: every change to a case goes through a function here.

Pages, the API, ingestion and enforcement call these functions (always as
``cases.workflow.<name>``); none of them holds workflow logic of its own.
Enforcement actions have their own workflow (``enforcement.workflow``); it
locks the case with ``lock_case`` (``lock_case_for_proposal`` for a new
action), moves it through the hooks ``case_follows_proposal`` and
``case_follows_actions``, and announces the change with ``publish_on_commit``.
The allowed status changes live in one table, ``cases.workflow.table``.
The SLA clock (due by severity, paused while a case waits on an approval or
a hand-back, breached once) is ``cases.workflow.sla`` and
``cases.workflow.breaches``.
A case's TLP marking and tags are ``cases.workflow.marking``; an account's
protected flag is set with ``set_account_protected`` (``set_accounts_protected``
for several accounts of a case at once). The leads' known-shared list and their decisions on the values the import
flags for review are here too (``cases.workflow.shared_values``).
Each function

* takes the acting person as the keyword-only ``actor``,
* locks the case row (``SELECT ... FOR UPDATE``) so concurrent changes queue,
* checks the transition table and the actor's roles (``people.roles``; being a
  superuser grants nothing),
* applies the change and writes exactly one audit event in the same
  transaction, as its last write,
* and publishes side effects (``cases.signals.case_changed``) only once the
  transaction has committed.

A refusal raises before anything is written, so a refused call changes
nothing but the trail: ``TransitionRefused`` for a status change (naming the
current status, the one asked for and what is allowed), ``OperationRefused``
for other operations (both ``core.refusals.Forbidden``, and written to the
trail as ``case.operation_refused`` by the refused function itself),
``StaleCase`` (a ``Conflict``) when the caller's ``version`` is not the
case's any more, ``ValidationError`` for bad input and ``EvidenceTooLarge``
for an upload over the limit.
"""

from cases.evidence_store import EvidenceTooLarge
from cases.workflow.accounts import (
    AlreadyProtected,
    link_account,
    set_account_protected,
    set_accounts_protected,
    unlink_account,
    unlink_accounts,
)
from cases.workflow.actions import (
    case_follows_actions,
    case_follows_proposal,
    lock_case_for_proposal,
)
from cases.workflow.case_fields import add_note, assign, set_attribution, set_severity
from cases.workflow.common import StaleCase, lock_case, publish_on_commit
from cases.workflow.evidence import add_evidence_file, add_evidence_text, redact_evidence
from cases.workflow.marking import change_tags, set_tlp
from cases.workflow.may import (
    may_add_note,
    may_assign,
    may_assign_anyone,
    may_be_merged,
    may_keep_known_shared,
    may_mark,
    may_merge,
    may_protect_accounts,
    may_redact,
    may_resolve_flag,
    may_set_tlp,
    may_transition,
    may_work_on,
    takes_merges,
)
from cases.workflow.merge import Merge, merge_cases, strictest_tlp
from cases.workflow.shared_values import (
    add_known_shared,
    remove_known_shared,
    resolve_flag,
)
from cases.workflow.status import close, escalate, hand_back, reopen, transition
from cases.workflow.table import (
    TRANSITIONS,
    AllowedTransition,
    OperationRefused,
    Rule,
    TransitionRefused,
    Via,
    allowed_transitions,
)

__all__ = [
    "TRANSITIONS",
    "AllowedTransition",
    "AlreadyProtected",
    "EvidenceTooLarge",
    "Merge",
    "OperationRefused",
    "Rule",
    "StaleCase",
    "TransitionRefused",
    "Via",
    "add_evidence_file",
    "add_evidence_text",
    "add_known_shared",
    "add_note",
    "allowed_transitions",
    "assign",
    "case_follows_actions",
    "case_follows_proposal",
    "change_tags",
    "close",
    "escalate",
    "hand_back",
    "link_account",
    "lock_case",
    "lock_case_for_proposal",
    "may_add_note",
    "may_assign",
    "may_assign_anyone",
    "may_be_merged",
    "may_keep_known_shared",
    "may_mark",
    "may_merge",
    "may_protect_accounts",
    "may_redact",
    "may_resolve_flag",
    "may_set_tlp",
    "may_transition",
    "may_work_on",
    "merge_cases",
    "publish_on_commit",
    "redact_evidence",
    "remove_known_shared",
    "reopen",
    "resolve_flag",
    "set_account_protected",
    "set_accounts_protected",
    "set_attribution",
    "set_severity",
    "set_tlp",
    "strictest_tlp",
    "takes_merges",
    "transition",
    "unlink_account",
    "unlink_accounts",
]
