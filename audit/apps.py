from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Importing connects the login/logout receivers; not at the top because
        # audit.signals needs the models, which are not ready when this loads.
        from audit import signals  # noqa: F401
