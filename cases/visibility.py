"""Who sees which case.

A TLP:RED case is restricted: only its assignee, the people at the level it
was escalated to, leads and managers see it. Every list, count, search and
API answer starts from ``visible_cases`` so that no path forgets the rule.
"""

from __future__ import annotations

import copy

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Q, QuerySet

from audit.models import AuditEvent
from cases.models import Case, Tlp
from people.roles import (
    ALL_ROLES,
    CASE_READERS,
    ESCALATION_LEVELS,
    LEADS_AND_MANAGERS,
    Role,
    has_role,
    roles_of,
)


def restricted_q(user, prefix: str = "") -> Q:
    """The condition under which ``user`` may see a case; ``Q()`` when unrestricted.

    ``prefix`` names the path to the case from another model, e.g. ``"case__"``.
    """
    if has_role(user, *LEADS_AND_MANAGERS):
        return Q()
    levels = [str(level) for level in ESCALATION_LEVELS if str(level) in roles_of(user)]
    allowed = ~Q(**{f"{prefix}tlp": Tlp.RED}) | Q(**{f"{prefix}assignee_id": user.pk})
    if levels:
        allowed |= Q(**{f"{prefix}escalation_level__in": levels})
    return allowed


def visible_cases(user, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """The cases ``user`` may see (none for people who read no cases)."""
    queryset = Case.objects.all() if queryset is None else queryset
    if user is None or not user.is_authenticated or not has_role(user, *CASE_READERS):
        return queryset.none()
    return queryset.filter(restricted_q(user))


def _reads_cases(user) -> bool:
    return user is not None and user.is_authenticated and has_role(user, *CASE_READERS)


def visible_case_rows(user, queryset: QuerySet, path: str = "case") -> QuerySet:
    """The rows of ``queryset`` whose case ``user`` may see, by the rule of ``visible_cases``.

    ``path`` leads from the row to its case (``"case"``, ``"action__case"``).
    A row that belongs to no case yet (an alert not imported) reveals no case
    and is kept.
    """
    if not _reads_cases(user):
        return queryset.filter(**{f"{path}__isnull": True})
    return queryset.filter(restricted_q(user, prefix=f"{path}__"))


def hidden_cases(user) -> QuerySet[Case]:
    """The cases ``visible_cases`` leaves out for ``user``."""
    if not _reads_cases(user):
        return Case.objects.all()
    if has_role(user, *LEADS_AND_MANAGERS):
        return Case.objects.none()
    return Case.objects.exclude(restricted_q(user))


def visible_events(user, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """The audit events that concern no case hidden from ``user``.

    An event's ``target_repr``, before/after and reason can carry a case's
    title or notes, so an event concerning a case is shown only to those who
    see every case it concerns.
    """
    if not _reads_cases(user):
        return queryset.filter(case_ids=[])
    if has_role(user, *LEADS_AND_MANAGERS):
        return queryset
    return queryset.exclude(case_ids__overlap=ArraySubquery(hidden_cases(user).values("pk")))


def can_see(user, case: Case) -> bool:
    """The same rule as ``visible_cases`` for a case already loaded."""
    if user is None or not user.is_authenticated or not has_role(user, *CASE_READERS):
        return False
    if case.tlp != Tlp.RED or has_role(user, *LEADS_AND_MANAGERS):
        return True
    if case.assignee_id == user.pk:
        return True
    return bool(case.escalation_level) and case.escalation_level in roles_of(user)


class _Holder:
    """Someone holding just ``role``: no one's assignee, nothing escalated to them by name."""

    is_authenticated = True
    # An id no user has: not the assignee, even of an unassigned case.
    pk = -1

    def __init__(self, role: Role) -> None:
        # As people.roles caches a person's roles, so has_role asks no database.
        self._dossier_roles = frozenset({str(role)})


def with_changes(case: Case, **changes) -> Case:
    """A copy of ``case`` with ``changes`` (field values) made, for asking ``can_see``."""
    changed = copy.copy(case)
    for name, value in changes.items():
        setattr(changed, name, value)
    return changed


def roles_losing_sight(case: Case, **changes) -> list[Role]:
    """The roles whose holders see ``case`` now and would not once ``changes``
    (e.g. ``tlp="red"``) are made, the assignee aside: ``can_see`` asked for
    each role, so the answer follows the rule above wherever it goes."""
    changed = with_changes(case, **changes)
    return [role for role in _readers() if _sees(role, case) and not _sees(role, changed)]


def roles_gaining_sight(case: Case, **changes) -> list[Role]:
    """The roles whose holders do not see ``case`` now and would once ``changes`` are made."""
    changed = with_changes(case, **changes)
    return [role for role in _readers() if not _sees(role, case) and _sees(role, changed)]


def _readers() -> list[Role]:
    return [role for role in ALL_ROLES if role in CASE_READERS]


def _sees(role: Role, case: Case) -> bool:
    return can_see(_Holder(role), case)
