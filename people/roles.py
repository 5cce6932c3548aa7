"""Roles are Django groups. Check them explicitly: being a superuser exempts
nobody from the workflow, the two-person rule or case restrictions.

Every set of roles that admits people to something is defined here, once,
under a name that says whom it admits. Pages, endpoints and the workflow name
one of these sets; none spells out roles of its own.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    INVESTIGATOR = "investigator"
    LEAD = "lead"
    MANAGER = "manager"
    POLICY = "policy"
    LEGAL = "legal"
    EXECUTIVE = "executive"
    ADMINISTRATOR = "administrator"


ALL_ROLES: tuple[Role, ...] = tuple(Role)
# Roles that receive escalations at their level, lowest first.
ESCALATION_LEVELS: tuple[Role, ...] = (Role.POLICY, Role.LEGAL, Role.EXECUTIVE)

LEADS: frozenset[Role] = frozenset({Role.LEAD})
MANAGERS: frozenset[Role] = frozenset({Role.MANAGER})
ADMINISTRATORS: frozenset[Role] = frozenset({Role.ADMINISTRATOR})
# The people who work cases: assignable, they change them and propose actions.
INVESTIGATORS_AND_LEADS: frozenset[Role] = frozenset({Role.INVESTIGATOR, Role.LEAD})
# Everyone who reads cases (which ones, ``cases.visibility`` decides); only
# administrators, who run the system and not cases, are left out.
CASE_READERS: frozenset[Role] = INVESTIGATORS_AND_LEADS | MANAGERS | set(ESCALATION_LEVELS)
# Who writes notes on a case: those who work it, and the escalation levels,
# who comment and advise. Managers only read.
CASE_COMMENTERS: frozenset[Role] = INVESTIGATORS_AND_LEADS | set(ESCALATION_LEVELS)
# Who answers escalations ("Escalated to me"): each level those at its own,
# leads every one.
ESCALATION_RECEIVERS: frozenset[Role] = LEADS | set(ESCALATION_LEVELS)
# Who sees every case, restricted or not, without being assigned.
LEADS_AND_MANAGERS: frozenset[Role] = LEADS | MANAGERS
# Who redacts evidence: leads, and legal (on a court order, for instance).
LEADS_AND_LEGAL: frozenset[Role] = frozenset({Role.LEAD, Role.LEGAL})
# Who looks after the machinery: import health, resuming a paused action
# (fixing the system, not deciding a case).
LEADS_AND_ADMINISTRATORS: frozenset[Role] = LEADS | ADMINISTRATORS
# Roles only a superuser gives or takes (people.privileges): they approve
# actions, see every case, or manage people. An administrator who could make
# a lead could make the second lead that defeats the two-person rule.
GRANTED_BY_SUPERUSERS: frozenset[Role] = LEADS_AND_MANAGERS | ADMINISTRATORS


def roles_of(user) -> frozenset[str]:
    """The role names a user holds, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_dossier_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._dossier_roles = cached
    return cached


def has_role(user, *roles: Role | str) -> bool:
    held = roles_of(user)
    return any(str(role) in held for role in roles)
