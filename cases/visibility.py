"""Who sees which case.

A TLP:RED case is restricted: only its assignee, the people at the level it
was escalated to, leads and managers see it. Every list, count, search and
API answer starts from ``visible_cases`` so that no path forgets the rule.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cases.models import Case, Tlp
from people.roles import CASE_READERS, ESCALATION_LEVELS, LEADS_AND_MANAGERS, has_role, roles_of


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


def can_see(user, case: Case) -> bool:
    """The same rule as ``visible_cases`` for a case already loaded."""
    if user is None or not user.is_authenticated or not has_role(user, *CASE_READERS):
        return False
    if case.tlp != Tlp.RED or has_role(user, *LEADS_AND_MANAGERS):
        return True
    if case.assignee_id == user.pk:
        return True
    return bool(case.escalation_level) and case.escalation_level in roles_of(user)
