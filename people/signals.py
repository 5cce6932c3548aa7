"""Keep the role groups and the administrator's admin permissions in place.

Runs after every ``migrate`` and every test-database flush (both send
``post_migrate``), so the roles exist even after a flush emptied the tables.
"""

from __future__ import annotations

from people.roles import Role

# What the administrator manages in the Django admin: users, roles, detectors,
# people's authenticator apps (removed for someone who lost theirs), and the
# event webhooks (docs/webhooks.md).
ADMINISTRATOR_MODELS = (
    ("auth", "user"),
    ("auth", "group"),
    ("otp_totp", "totpdevice"),
    ("ingestion", "detector"),
    ("ingestion", "detectortoken"),
    ("webhooks", "webhookendpoint"),
    ("webhooks", "webhookdelivery"),
)


def ensure_roles(using: str = "default", **kwargs) -> None:
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    for role in Role:
        Group.objects.using(using).get_or_create(name=str(role))
    administrator = Group.objects.using(using).get(name=str(Role.ADMINISTRATOR))
    # This receiver runs before auth's on each app's post_migrate (people comes
    # first in INSTALLED_APPS): the last app's permissions would not exist yet.
    for app_label in sorted({app_label for app_label, _ in ADMINISTRATOR_MODELS}):
        create_permissions(apps.get_app_config(app_label), verbosity=0, using=using)
    for app_label, model in ADMINISTRATOR_MODELS:
        permissions = Permission.objects.using(using).filter(
            content_type__app_label=app_label, content_type__model=model
        )
        administrator.permissions.add(*permissions)
