"""Roles are Django groups. Check them explicitly: being a superuser exempts
nobody from the workflow, the two-person rule or case restrictions."""

from __future__ import annotations

from collections.abc import Iterable
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
# Roles that receive escalations at their level.
ESCALATION_LEVELS: tuple[Role, ...] = (Role.POLICY, Role.LEGAL, Role.EXECUTIVE)


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


def has_any_role(user, roles: Iterable[Role | str]) -> bool:
    return has_role(user, *roles)
