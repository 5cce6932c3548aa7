"""Who may use a page or endpoint. Every view declares its roles explicitly."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from people.roles import Role, has_role


class RoleRequiredMixin(LoginRequiredMixin):
    """Page mixin: a signed-in user lacking every role in ``allowed_roles`` gets 403."""

    allowed_roles: Collection[Role] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, *self.allowed_roles):
            raise PermissionDenied("Your roles do not allow this page.")
        return super().dispatch(request, *args, **kwargs)


class HasRole(BasePermission):
    """API permission: the view's ``allowed_roles`` must include one of the user's roles."""

    message = "Your roles do not allow this endpoint."

    def has_permission(self, request, view) -> bool:
        allowed = getattr(view, "allowed_roles", ())
        return bool(
            request.user and request.user.is_authenticated and has_role(request.user, *allowed)
        )
