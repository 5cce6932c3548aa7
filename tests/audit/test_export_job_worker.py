"""A large export through the real stack: a Celery worker on a real broker writes
the job's file, the shipped checker verifies the download, and beat removes
the file when its time runs out."""

from __future__ import annotations

import pytest
from django.db import transaction

from audit.events import record
from audit.models import ExportJob
from people.roles import Role
from tests.audit.test_exports import run_script
from tests.ingestion.worker.conftest import (  # noqa: F401 - shared fixtures
    redis_broker,
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.integration


def test_a_worker_writes_a_large_export_and_beat_removes_it_in_time(
    client,
    make_user,
    start_worker,  # noqa: F811
    settings,
    export_root,
    tmp_path,
):
    settings.AUDIT_EXPORT_SYNC_MAX_ROWS = 50
    with transaction.atomic():
        for n in range(300):
            record("case.noted", system="test", cases=[n % 7 + 1], reason=f"note {n}")
    start_worker(
        beat=True,
        EXPORT_ROOT=str(export_root),
        AUDIT_EXPORT_PAGE_SIZE="40",
        # Kept about three seconds, swept every second.
        EXPORT_RETENTION_HOURS="0.001",
        EXPORT_CLEANUP_INTERVAL="1",
    )
    client.force_login(make_user(Role.MANAGER, username="mia"))

    started = client.post(
        "/audit/exports/start", {"output": "csv", "since": "2000-01-01T00:00:00Z"}
    )
    assert started.status_code == 302
    job = ExportJob.objects.get()
    assert job.rows == 301  # the notes and mia's sign-in

    wait_for(
        lambda: ExportJob.objects.filter(pk=job.pk, state="done").exists(),
        timeout=60,
        what="the worker to write the export",
    )
    download = client.get(f"/audit/exports/{job.pk}/download")
    saved = tmp_path / "downloaded.csv"
    saved.write_bytes(b"".join(download.streaming_content))
    key = client.get("/api/v1/audit/public-key").json()["public_key"]
    checked = run_script("--file", str(saved), "--public-key", key)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok: 301 rows verified against the signed manifest")

    stored = export_root / ExportJob.objects.get(pk=job.pk).file_name
    assert stored.exists()
    wait_for(
        lambda: ExportJob.objects.filter(pk=job.pk, state="expired").exists(),
        timeout=30,
        what="beat to remove the expired export",
    )
    assert not stored.exists()
