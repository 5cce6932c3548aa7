"""The Django admin, for the administrator role.

The stock admin opens to staff users (``createsuperuser`` still bootstraps a
new installation); Dossier also opens it to people holding the administrator
role. What an administrator may change there comes from the permissions
``people.signals`` grants the role; other roles never get in by their role.

Signing in goes through Dossier's own sign-in (password, then a code for
those with an authenticator app): the admin's login form would take the
password alone. The admin asks for a verified session of anyone who has an
authenticator app, and of everyone once ``REQUIRE_TOTP_FOR_ROLES`` names any
role (``people.second_factor``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from people.roles import Role, has_role
from people.second_factor import admin_needs_verified_session, is_verified


class DossierAdminSite(admin.AdminSite):
    site_header = "Dossier administration"
    site_title = "Dossier administration"
    index_title = "Users, roles, detectors and event webhooks"

    def may_enter(self, request) -> bool:
        """The person's standing, leaving the second factor aside."""
        if super().has_permission(request):
            return True
        return request.user.is_active and has_role(request.user, Role.ADMINISTRATOR)

    def has_permission(self, request) -> bool:
        if not self.may_enter(request):
            return False
        return is_verified(request.user) or not admin_needs_verified_session(request.user)

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(next_url, reverse(settings.LOGIN_URL))
        if self.may_enter(request):
            # Admitted but for the second factor.
            messages.warning(
                request,
                "The admin site needs two-factor sign-in: set up an authenticator app "
                "(or sign in again with its code).",
            )
            return redirect("people:two-factor")
        raise PermissionDenied("Your roles do not open the admin site.")
