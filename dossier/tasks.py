from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from dossier.models import WorkerHeartbeat


@shared_task(name="dossier.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Scheduled by beat; the worker that runs it records that it is alive."""
    name = heartbeat.request.hostname or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(worker=name, defaults={"seen_at": timezone.now()})
