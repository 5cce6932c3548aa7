"""/healthz: public, ``ok``/``down`` per dependency; 503 only when the database is down."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dossier.models import WorkerHeartbeat
from dossier.tasks import heartbeat
from scripts import services

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_it_answers_anonymous_callers_with_only_ok_or_down(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"database", "broker", "workers"}
    assert set(body.values()) <= {"ok", "down"}
    assert body["database"] == "ok"


@pytest.mark.django_db
def test_it_answers_200_and_says_so_when_the_broker_goes_down(client, settings, private_redis):
    settings.CELERY_BROKER_URL = private_redis.url
    assert client.get("/healthz").json()["broker"] == "ok"

    private_redis.stop()

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"


def healthz_in_a_server_process(database_url: str) -> tuple[int, dict]:
    """GET /healthz from a separate Django process using ``database_url``."""
    probe = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(json.dumps([r.status_code, r.json()]))"
    )
    closed = services.free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{closed}/0",
        "DATABASE_CONNECT_TIMEOUT": "2",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    return status, body


def test_it_answers_503_when_the_database_goes_down(private_postgres):
    status, body = healthz_in_a_server_process(private_postgres.url_given)
    assert (status, body["database"]) == (200, "ok")

    private_postgres.stop()

    status, body = healthz_in_a_server_process(private_postgres.url_given)
    assert status == 503
    assert body == {"database": "down", "broker": "down", "workers": "down"}


@pytest.mark.django_db
def test_workers_are_down_until_a_worker_records_a_heartbeat(client):
    assert client.get("/healthz").json()["workers"] == "down"

    heartbeat.apply()

    assert client.get("/healthz").json()["workers"] == "ok"


@pytest.mark.django_db
def test_workers_are_down_when_the_last_heartbeat_is_too_old(client, settings):
    too_old = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE + 5)
    WorkerHeartbeat.objects.create(worker="celery@gone", seen_at=too_old)

    assert client.get("/healthz").json()["workers"] == "down"
