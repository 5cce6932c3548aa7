"""The admin app, with Dossier's admin site (``people.admin_site``).

Apart from the site: settings name this config while apps are still loading,
before the site's module may import models.
"""

from django.contrib.admin.apps import AdminConfig


class DossierAdminConfig(AdminConfig):
    default_site = "people.admin_site.DossierAdminSite"
