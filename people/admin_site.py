"""The Django admin, for the administrator role.

The stock admin opens to staff users (``createsuperuser`` still bootstraps a
new installation); Dossier also opens it to people holding the administrator
role. What an administrator may change there comes from the permissions
``people.signals`` grants the role; other roles never get in by their role.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from people.roles import Role, has_role


class DossierAdminSite(admin.AdminSite):
    site_header = "Dossier administration"
    site_title = "Dossier administration"
    index_title = "Users, roles and detectors"

    def has_permission(self, request) -> bool:
        if super().has_permission(request):
            return True
        return request.user.is_active and has_role(request.user, Role.ADMINISTRATOR)


class DossierAdminConfig(AdminConfig):
    default_site = "people.admin_site.DossierAdminSite"
