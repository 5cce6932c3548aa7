"""``GET /healthz``: public, says only ``ok`` or ``down`` per dependency.

200 while the database answers (alerts can still be accepted without a
broker), 503 when it does not.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from dossier.models import WorkerHeartbeat

OK, DOWN = "ok", "down"


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return OK
    except Exception:
        connection.close_if_unusable_or_obsolete()
        return DOWN


def _broker() -> str:
    try:
        with Connection(
            settings.CELERY_BROKER_URL, connect_timeout=1, transport_options={"max_retries": 0}
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
        return OK
    except Exception:
        return DOWN


def _workers(database: str) -> str:
    if database != OK:
        return DOWN
    since = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    try:
        return OK if WorkerHeartbeat.objects.filter(seen_at__gte=since).exists() else DOWN
    except Exception:
        return DOWN


@never_cache
@require_GET
def healthz(request):
    database = _database()
    body = {"database": database, "broker": _broker(), "workers": _workers(database)}
    return JsonResponse(body, status=200 if database == OK else 503)
