"""scripts/services.py, the provisioning behind ``make run`` and ``make test``."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from scripts import services
from tests.dossier.conftest import remove_cluster

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [sys.executable, str(ROOT / "scripts" / "services.py"), "exec"]

# Runs under the provisioned environment: reports what it was given and whether it answers.
REPORT = """
import json, os, psycopg, redis
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    database = conn.execute("SELECT current_database()").fetchone()[0]
pong = redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
print(json.dumps({"env": {k: os.environ[k] for k in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")},
                  "database": database, "pong": pong}))
"""


def answers(url: str, default_port: int) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or default_port), timeout=1).close()
    except OSError:
        return False
    return True


def run_services(tmp_path: Path, *command: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {
        **os.environ,
        "DOSSIER_RUN_DIR": str(tmp_path / "run"),
        "DOSSIER_PRIVATE_SERVICES": "",
        **env,
    }
    return subprocess.run(
        [*SERVICES, "--redis-db", "3", "--", *command],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_forced_private_services_start_answer_and_stop(tmp_path):
    shared_db, shared_redis = services.SHARED_POSTGRES, services.SHARED_REDIS + "/0"
    try:
        result = run_services(
            tmp_path,
            sys.executable,
            "-c",
            REPORT,
            DOSSIER_PRIVATE_SERVICES="1",
            DATABASE_URL=shared_db,
            REDIS_URL=shared_redis,
            CELERY_BROKER_URL=shared_redis,
        )
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout.strip().splitlines()[-1])
        env = report["env"]
        # Private servers on their own ports, not the shared ones named in the environment.
        assert ":5432/" not in env["DATABASE_URL"] and ":6379/" not in env["REDIS_URL"]
        assert env["CELERY_BROKER_URL"] == env["REDIS_URL"]
        assert env["REDIS_URL"].endswith("/3")
        assert report["database"] == "dossier"  # created by provisioning
        assert report["pong"] is True
        assert "started private PostgreSQL" in result.stderr
        assert "started private Redis" in result.stderr
        # Stopped once the command is done.
        assert not answers(env["DATABASE_URL"], 5432)
        assert not answers(env["REDIS_URL"], 6379)
    finally:
        remove_cluster(tmp_path / "run" / "pg")


def test_it_passes_on_the_commands_exit_status(tmp_path):
    result = run_services(tmp_path, sys.executable, "-c", "raise SystemExit(7)")
    assert result.returncode == 7


def test_a_database_url_that_does_not_answer_stops_it_with_a_message(tmp_path):
    closed = services.free_port()
    result = run_services(
        tmp_path, "true", DATABASE_URL=f"postgres://dossier:pw@127.0.0.1:{closed}/dossier"
    )
    assert result.returncode == 2
    assert f"DATABASE_URL postgres://dossier:***@127.0.0.1:{closed}/dossier does not answer" in (
        result.stderr
    )
    assert not (tmp_path / "run" / "pg").exists()  # no private cluster instead


def test_a_redis_url_that_does_not_answer_stops_it_with_a_message(tmp_path):
    closed = services.free_port()
    result = run_services(tmp_path, "true", REDIS_URL=f"redis://127.0.0.1:{closed}/0")
    assert result.returncode == 2
    assert f"REDIS_URL redis://127.0.0.1:{closed}/0 does not answer" in result.stderr
