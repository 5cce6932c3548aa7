"""Dossier served as in production, on a PostgreSQL of the test's own that the
test may stop and start again (``private_postgres``): migrate it, make its
people and detectors, ask it questions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import requests

from tests.dossier.production_env import PRODUCTION

ROOT = Path(__file__).resolve().parents[1]

# Production's required settings (DEBUG off: the error pages production shows),
# served over plain HTTP on 127.0.0.1; the test gives the database and Redis.
AS_IN_PRODUCTION = {
    **{
        k: v
        for k, v in PRODUCTION.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "EVIDENCE_ROOT"}
    },
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SITE_URL": "http://127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
}

# Run by ``manage.py shell`` on the private database: a detector, an
# investigator with a password and a personal token, printed as JSON.
_PEOPLE = """
import json
from django.contrib.auth.models import Group
from django.contrib.auth import get_user_model
from ingestion.detectors import create_detector
from people.tokens import issue_personal_token
detector = create_detector("outage-scanner", rate=0)
user = get_user_model().objects.create_user(username="ivy", password="pw-for-tests-1")
user.groups.add(Group.objects.get(name="investigator"))
_, token = issue_personal_token(user, "outage")
print(json.dumps({"detector": detector.token, "username": "ivy",
                  "password": "pw-for-tests-1", "token": token}))
"""


def manage_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TEST_DATABASE_NAME", "PYTEST_CURRENT_TEST", "DJANGO_SETTINGS_MODULE"}
    }
    return {**env, "DEBUG": "1", "DATABASE_URL": database_url, **extra}


def manage(database_url: str, *args: str, **extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=manage_env(database_url, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def migrated_with_people(database_url: str) -> dict[str, str]:
    """Migrate the private database and make a detector and an investigator in it."""
    manage(database_url, "migrate", "--noinput", "-v", "0")
    return json.loads(manage(database_url, "shell", "-c", _PEOPLE).strip().splitlines()[-1])


def scalar(database_url: str, sql: str, params=()):
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        return conn.execute(sql, params).fetchone()[0]


def post_alerts(base: str, detector_token: str, alerts: list[dict], *, timeout: float = 30):
    """POST ``alerts`` to the alerts API of the server at ``base``, as a detector does."""
    return requests.post(
        f"{base}/api/v1/alerts/",
        data=json.dumps({"alerts": alerts}),
        headers={"Authorization": f"Bearer {detector_token}", "Content-Type": "application/json"},
        timeout=timeout,
    )
