from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from cases.queries.escalations import escalations_waiting
from people.roles import ESCALATION_RECEIVERS, has_role


def escalations(request: HttpRequest) -> dict:
    """``escalations_waiting``: the navigation's "Escalated to me" count, one
    query, asked only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not has_role(user, *ESCALATION_RECEIVERS):
        return {"escalations_waiting": 0}
    return {"escalations_waiting": SimpleLazyObject(lambda: escalations_waiting(user).count())}
