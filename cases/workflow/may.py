"""Who may do what to a case: the rules the workflow refuses by.

The workflow functions check these predicates before they change anything;
pages ask the same predicates which forms and buttons to show. Status
changes have their own table (``cases.workflow.table``): ask
``allowed_transitions`` or ``may_transition``.
"""

from __future__ import annotations

from collections.abc import Iterable

from cases.models import Case, CaseStatus, Tlp
from cases.workflow.table import OperationRefused, Via, is_person, rules_for
from people.roles import (
    CASE_COMMENTERS,
    INVESTIGATORS_AND_LEADS,
    LEADS,
    LEADS_AND_LEGAL,
    has_role,
)

# Severity, attribution, accounts, evidence, and taking a case on.
WORKING_ROLES = INVESTIGATORS_AND_LEADS
# Assigning a case to someone else (or to nobody).
ASSIGNING_ROLES = LEADS
COMMENTING_ROLES = CASE_COMMENTERS
REDACTING_ROLES = LEADS_AND_LEGAL
# The known-shared list, and deciding the values flagged for review.
KNOWN_SHARED_ROLES = LEADS
# Merging cases into one: it closes cases people may have worked.
MERGING_ROLES = LEADS
# A case's TLP marking and its tags.
MARKING_ROLES = INVESTIGATORS_AND_LEADS
# Lowering TLP:RED opens a restricted case to everyone who reads cases.
LOWERING_RED_ROLES = LEADS
# Flagging an account protected (never actioned without a lead's override), or not.
PROTECTING_ROLES = LEADS


def _holds(actor, roles: Iterable[str]) -> bool:
    return is_person(actor) and has_role(actor, *roles)


def may_work_on(actor, case: Case) -> bool:
    """Change the case's severity, attribution, accounts and evidence."""
    return _holds(actor, WORKING_ROLES)


def may_assign_anyone(actor, case: Case) -> bool:
    return _holds(actor, WORKING_ROLES) and _holds(actor, ASSIGNING_ROLES)


def may_assign(actor, case: Case, assignee) -> bool:
    """An investigator assigns a case to themself; a lead to anyone (or nobody)."""
    if not may_work_on(actor, case):
        return False
    is_self = assignee is not None and assignee.pk == getattr(actor, "pk", None)
    return is_self or may_assign_anyone(actor, case)


def may_add_note(actor, case: Case) -> bool:
    return _holds(actor, COMMENTING_ROLES)


def may_redact(actor, case: Case) -> bool:
    return _holds(actor, REDACTING_ROLES)


def may_keep_known_shared(actor) -> bool:
    """Put strong values on the known-shared list, or take them off."""
    return _holds(actor, KNOWN_SHARED_ROLES)


def may_resolve_flag(actor, case: Case) -> bool:
    """Decide a value flagged for review on the case: list it as shared, or dismiss."""
    return _holds(actor, KNOWN_SHARED_ROLES)


def may_mark(actor, case: Case) -> bool:
    """Change the case's TLP marking (``may_set_tlp`` says to which) and its tags."""
    return _holds(actor, MARKING_ROLES)


def may_set_tlp(actor, case: Case, tlp: str) -> bool:
    """Mark the case ``tlp``: from TLP:RED to anything lower only a lead does."""
    if not may_mark(actor, case):
        return False
    lowers_red = case.tlp == Tlp.RED and tlp != Tlp.RED
    return not lowers_red or _holds(actor, LOWERING_RED_ROLES)


def may_protect_accounts(actor) -> bool:
    """Flag an account protected, with a reason, or lift the flag."""
    return _holds(actor, PROTECTING_ROLES)


def may_merge(actor, case: Case) -> bool:
    """Merge other cases into ``case`` (the survivor)."""
    return _holds(actor, MERGING_ROLES)


# A case whose enforcement is under way or done keeps its actions where they are.
_NOT_MERGEABLE = frozenset({CaseStatus.CLOSED, CaseStatus.PENDING_ACTION, CaseStatus.ACTIONED})


def takes_merges(case: Case) -> bool:
    """Whether other cases may be merged into ``case``: only into an open one."""
    return case.status != CaseStatus.CLOSED


def may_be_merged(case: Case) -> bool:
    """Whether ``case`` may be merged away: open, with no enforcement under way or done."""
    return case.status not in _NOT_MERGEABLE


def may_transition(actor, case: Case, to_status: str) -> bool:
    return bool(rules_for(case, to_status, Via.TRANSITION, actor))


def needs_roles(roles: Iterable[str], what: str, case: Case) -> OperationRefused:
    """The refusal of an operation ``roles`` may do, naming them."""
    names = ", ".join(sorted(str(r) for r in roles))
    return OperationRefused(f"{what} on case #{case.pk} is for {names}.", case=case)


def needs_roles_for(roles: Iterable[str], what: str) -> OperationRefused:
    """The refusal of an operation on no particular case that ``roles`` may do."""
    names = ", ".join(sorted(str(r) for r in roles))
    return OperationRefused(f"{what} is for {names}.")
