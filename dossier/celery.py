"""The Celery app: ``celery -A dossier worker`` and ``celery -A dossier beat``."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dossier.settings")

app = Celery("dossier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["dossier"])
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(sender=None, **_) -> None:
    """What Django does around a request, around a task: drop a connection past
    DATABASE_CONN_MAX_AGE or left unusable by an error; the next query checks
    the one kept (CONN_HEALTH_CHECKS). Not for a task run eagerly, inside its
    caller's transaction."""
    from django.db import close_old_connections

    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    close_old_connections()
