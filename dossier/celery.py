"""The Celery app: ``celery -A dossier worker`` and ``celery -A dossier beat``."""

import logging
import os

from celery import Celery
from celery.signals import beat_init, celeryd_init, task_postrun, task_prerun
from django.conf import settings  # lazy: read once the signals fire

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dossier.settings")

app = Celery("dossier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["dossier"])
app.autodiscover_tasks()
logger = logging.getLogger(__name__)


@celeryd_init.connect
@beat_init.connect
def _say_when_started_as_a_web_process(**_) -> None:
    """Workers are started with DOSSIER_PROCESS=worker (scripts/run.py,
    docker/compose.yaml); without it their statements get the web timeout."""
    if settings.DOSSIER_PROCESS != "worker":
        logger.warning(
            "DOSSIER_PROCESS is %r: this worker's SQL statements are cut off after "
            "WEB_STATEMENT_TIMEOUT (%gs); start it with DOSSIER_PROCESS=worker",
            settings.DOSSIER_PROCESS,
            settings.STATEMENT_TIMEOUT,
        )


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
