"""Finding what a request names: a person, an account, a case."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from cases.models import Account, Case
from cases.visibility import visible_cases


def assignee_named(name: str, user: AbstractBaseUser) -> AbstractBaseUser | None:
    """Who an assign request names: ``user`` for "me", nobody when blank, otherwise
    the active person with that username (a ValidationError on "assignee" if none)."""
    name = name.strip()
    if name == "me":
        return user
    if not name:
        return None
    assignee = get_user_model().objects.filter(username=name, is_active=True).first()
    if assignee is None:
        raise ValidationError({"assignee": f"No active person named {name!r}."})
    return assignee


def account_to_link(external_id: str) -> Account:
    """The platform account with this id (a ValidationError on "external_id" if none)."""
    account = Account.objects.filter(external_id=external_id.strip()).first()
    if account is None:
        raise ValidationError({"external_id": "No platform account has this id."})
    return account


def queue_queryset(user) -> QuerySet[Case]:
    """Cases ``user`` may see, with what a queue row shows, in a fixed number of queries."""
    return visible_cases(user).select_related("assignee")


def case_for(user, pk: int) -> Case | None:
    """The case if ``user`` may see it (None otherwise: the caller answers 404)."""
    return visible_cases(user).select_related("assignee", "updated_by").filter(pk=pk).first()
