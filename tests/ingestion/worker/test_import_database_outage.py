"""A real worker importing while PostgreSQL is stopped and started again
resumes by itself: every alert answered 202 is imported, no worker restarted."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.dossier.conftest import private_postgres  # noqa: F401 (a fixture)
from tests.ingestion.conftest import make_alert
from tests.ingestion.worker.conftest import CeleryWorker, wait_for, worker_environment
from tests.private_stack import AS_IN_PRODUCTION, migrated_with_people, post_alerts, scalar

pytestmark = pytest.mark.integration

BATCHES, PER_BATCH = 40, 100
FINAL = ("imported", "partially_imported", "failed")


def batches_by_status(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url, connect_timeout=2) as conn:
        rows = conn.execute("SELECT status, count(*) FROM ingestion_batch GROUP BY 1").fetchall()
    return dict(rows)


def final_count(database_url: str) -> int:
    try:
        counts = batches_by_status(database_url)
    except psycopg.OperationalError:  # stopped meanwhile
        return 0
    return sum(counts.get(status, 0) for status in FINAL)


def test_an_import_interrupted_by_a_database_outage_resumes_without_a_restart(
    private_postgres,  # noqa: F811
    gunicorn_server,
    private_redis,
    tmp_path,
    report_figure,
):
    database_url = private_postgres.url_given
    people = migrated_with_people(database_url)
    base = gunicorn_server(
        **AS_IN_PRODUCTION, DATABASE_URL=database_url, GUNICORN_CMD_ARGS="--threads 2"
    )
    env = worker_environment("unused", private_redis.url, DATABASE_URL=database_url)
    worker = CeleryWorker("importer", env, tmp_path, beat=True).start()
    try:
        accepted = 0
        for b in range(BATCHES):
            alerts = [make_alert(f"pg-{b}-{n}") for n in range(PER_BATCH)]
            response = post_alerts(base, people["detector"], alerts, timeout=60)
            assert response.status_code == 202, response.text
            accepted += response.json()["accepted"]

        outages = []
        for mode in ("fast", "immediate"):
            done = final_count(database_url)
            wait_for(
                lambda d=done: final_count(database_url) > d,
                timeout=60,
                interval=0.05,
                what="the import to move on",
            )
            before = final_count(database_url)
            started = time.monotonic()
            private_postgres.stop(mode)
            time.sleep(3)
            private_postgres.start()
            outages.append(f"{mode} {time.monotonic() - started:.1f}s at {before}/{BATCHES}")

        wait_for(
            lambda: final_count(database_url) == BATCHES,
            timeout=180,
            interval=0.5,
            what="every batch to end",
        )
        assert worker.process.poll() is None, "the worker exited"
        statuses = batches_by_status(database_url)
        imported = scalar(
            database_url, "SELECT count(*) FROM ingestion_alert WHERE status = 'imported'"
        )
        figures = (
            f"import through PostgreSQL outages ({', '.join(outages)} batches ended): "
            f"alerts accepted {accepted}, imported {imported}; batches {statuses}"
        )
        print(f"\n{figures}")
        report_figure(figures)
        assert statuses == {"imported": BATCHES}, figures
        assert imported == accepted == BATCHES * PER_BATCH, figures
    finally:
        worker.stop(timeout=10)
