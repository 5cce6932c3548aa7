from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.inbox import unread_count
from people.roles import roles_of


def inbox(request: HttpRequest) -> dict:
    """``inbox_unread``: the navigation's count, one query, asked only if a page shows it."""
    user = getattr(request, "user", None)
    if not roles_of(user):
        return {"inbox_unread": 0}
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user))}
