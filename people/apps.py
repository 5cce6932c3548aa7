from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and roles"

    def ready(self) -> None:
        # Not at the top: this module is imported before the app registry is
        # ready, and people.signals needs the models.
        from people.signals import ensure_roles

        post_migrate.connect(ensure_roles, dispatch_uid="people.ensure_roles")
