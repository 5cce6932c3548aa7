"""The webhook backend without its secret stops start-up with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ENFORCEMENT_")}
    environment.update(DEBUG="1", DJANGO_SETTINGS_MODULE="dossier.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_webhook_backend_without_a_secret_stops_start_up():
    result = start(ENFORCEMENT_BACKEND="webhook", ENFORCEMENT_URL="https://enforcement.test/v1")
    assert result.returncode != 0
    assert "ENFORCEMENT_SECRET is required when ENFORCEMENT_BACKEND is webhook" in result.stderr


def test_the_webhook_backend_starts_with_a_url_and_secrets():
    result = start(
        ENFORCEMENT_BACKEND="webhook",
        ENFORCEMENT_URL="https://enforcement.test/v1",
        ENFORCEMENT_SECRET="one,two",
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_the_log_backend_is_the_default():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(settings.ENFORCEMENT_BACKEND)",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("ENFORCEMENT_")},
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "dossier.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "log", result.stderr
