from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and roles"

    def ready(self) -> None:
        # Not at the top: this module is imported before the app registry is
        # ready, and people.signals and people.sessions need the models.
        from people.sessions import mark_signed_in
        from people.signals import ensure_roles

        post_migrate.connect(ensure_roles, dispatch_uid="people.ensure_roles")
        user_logged_in.connect(mark_signed_in, dispatch_uid="people.sessions.mark_signed_in")
