"""Exports too large for one download run as jobs: the file is written under
EXPORT_ROOT, checked like any export, offered to its requester alone, and
removed when its time runs out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from audit import export_jobs
from audit.exportfile import load_public_key, verify_export
from audit.models import AuditEvent, ExportJob
from people.roles import Role
from tests.audit.test_exports import add_events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_download_holds_ten(settings):
    settings.AUDIT_EXPORT_SYNC_MAX_ROWS = 10
    settings.AUDIT_EXPORT_PAGE_SIZE = 7


@pytest.fixture
def manager(as_role):
    return as_role(Role.MANAGER, username="mia")


@pytest.fixture
def key(api):
    return load_public_key(api.get("/api/v1/audit/public-key").json()["public_key"])


def test_a_large_export_from_the_page_becomes_a_job_with_its_own_page(manager):
    add_events(20, cases=[4])
    response = manager.post("/audit/exports/start", {"output": "csv", "case": "4"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/audit/exports/{job.pk}/"
    page = manager.get(response["Location"]).content.decode()
    assert "20 events are more than one download holds (10): a worker is writing the file" in page
    assert "0 of 20 events written" in page
    assert 'data-running-states="queued running"' in page
    assert "Download" not in page
    progress = manager.get(f"/audit/exports/{job.pk}/progress.json").json()
    assert progress["state"] == "queued"
    assert (progress["settled"], progress["total"]) == (0, 20)


def test_the_job_is_on_the_trail_when_asked_for_with_its_filter_and_count(manager):
    add_events(20, cases=[4])
    manager.post("/audit/exports/start", {"output": "jsonl", "case": "4"})
    job = ExportJob.objects.get()
    event = AuditEvent.objects.get(verb="audit.exported")
    assert event.sequence == job.export_event
    assert event.actor_username == "mia"
    assert event.after["job"] == str(job.pk)
    assert event.after["filter"] == {"case": "4"}
    assert event.after["rows"] == 20


def test_the_written_file_verifies_and_holds_the_filtered_events(manager, key, settings):
    add_events(20, cases=[4])
    add_events(3, cases=[5])
    manager.post("/audit/exports/start", {"output": "csv", "case": "4"})
    job = ExportJob.objects.get()

    export_jobs.write(str(job.pk))

    job.refresh_from_db()
    assert (job.state, job.rows_written) == ("done", 20)
    assert job.expires_at == job.finished_at + timedelta(hours=settings.EXPORT_RETENTION_HOURS)
    stored = settings.EXPORT_ROOT / job.file_name
    assert list(settings.EXPORT_ROOT.iterdir()) == [stored]  # no partial file left
    result = verify_export(stored.read_bytes(), key)
    assert result.rows == 20
    assert result.manifest["filter"] == {"case": "4"}
    assert result.manifest["export_event"] == job.export_event
    assert result.manifest["generated_by"] == "mia"

    page = manager.get(f"/audit/exports/{job.pk}/").content.decode()
    assert "20 of 20 events written; ready to download" in page
    assert f'href="/audit/exports/{job.pk}/download"' in page
    download = manager.get(f"/audit/exports/{job.pk}/download")
    assert download["Content-Disposition"] == (
        f'attachment; filename="audit-export-{job.export_event}.csv"'
    )
    assert b"".join(download.streaming_content) == stored.read_bytes()


def test_a_job_through_the_api_reports_its_progress_and_offers_its_file(manager, key):
    add_events(15)
    started = manager.post("/api/v1/audit/export-jobs?output=jsonl")
    assert started.status_code == 202
    body = started.json()
    assert started["Location"] == f"/api/v1/audit/export-jobs/{body['id']}"
    assert (body["state"], body["rows"], body["download_url"]) == ("queued", 16, None)
    assert manager.get(f"/api/v1/audit/export-jobs/{body['id']}/download").status_code == 404

    export_jobs.write(body["id"])

    status = manager.get(started["Location"]).json()
    assert (status["state"], status["rows_written"]) == ("done", 16)
    download = manager.get(status["download_url"])
    data = b"".join(download.streaming_content)
    assert verify_export(data, key).rows == 16
    assert json.loads(data.splitlines()[-1])["manifest"]["output"] == "jsonl"


def test_a_job_written_twice_keeps_one_file(manager, key, settings):
    add_events(12)
    manager.post("/audit/exports/start", {"output": "csv"})
    job = ExportJob.objects.get()
    export_jobs.write(str(job.pk))
    export_jobs.write(str(job.pk))  # a redelivered task finds the job done
    job.refresh_from_db()
    assert job.attempt == 1
    assert [p.name for p in settings.EXPORT_ROOT.iterdir()] == [job.file_name]
    assert verify_export((settings.EXPORT_ROOT / job.file_name).read_bytes(), key).rows == 13


def test_another_manager_cannot_see_or_download_the_job(manager, make_user, client):
    add_events(12)
    manager.post("/audit/exports/start", {"output": "csv"})
    job = ExportJob.objects.get()
    export_jobs.write(str(job.pk))
    client.force_login(make_user(Role.MANAGER, username="max"))
    for url in ("/", "/progress.json", "/download"):
        assert client.get(f"/audit/exports/{job.pk}{url}").status_code == 404
    assert client.get(f"/api/v1/audit/export-jobs/{job.pk}").status_code == 404
    assert str(job.pk) not in client.get("/audit/exports/").content.decode()


@pytest.mark.parametrize("role", [r for r in Role if r != Role.MANAGER])
def test_everyone_but_managers_is_refused_the_jobs(as_role, role):
    client = as_role(role)
    assert client.post("/api/v1/audit/export-jobs").status_code == 403
    assert client.get("/audit/exports/").status_code == 403


def test_bad_input_for_a_job_is_a_400_naming_the_parameter(manager):
    response = manager.post("/api/v1/audit/export-jobs?output=pdf")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "output"
    assert not ExportJob.objects.exists()


def test_the_file_is_removed_when_its_time_runs_out(manager, settings):
    add_events(12)
    manager.post("/audit/exports/start", {"output": "csv"})
    job = ExportJob.objects.get()
    export_jobs.write(str(job.pk))
    job.refresh_from_db()
    stored = settings.EXPORT_ROOT / job.file_name

    assert export_jobs.remove_expired(now=job.expires_at - timedelta(seconds=1)) == 0
    assert stored.exists()
    assert export_jobs.remove_expired(now=job.expires_at) == 1

    assert not stored.exists()
    job.refresh_from_db()
    assert job.state == "expired"
    download = manager.get(f"/audit/exports/{job.pk}/download", follow=True)
    assert download.redirect_chain == [(f"/audit/exports/{job.pk}/", 302)]
    page = download.content.decode()
    assert "This export&#x27;s file was removed when its time ran out; export again." in page
    assert "Removed (expired)" in page
    assert manager.get(f"/api/v1/audit/export-jobs/{job.pk}/download").status_code == 404


def test_your_exports_lists_your_jobs_newest_first_a_page_at_a_time(manager, monkeypatch):
    monkeypatch.setattr("audit.export_views.JOBS_PAGE_SIZE", 2)
    add_events(12)
    for _ in range(3):
        manager.post("/audit/exports/start", {"output": "csv"})
    newest_first = list(ExportJob.objects.order_by("-requested_at").values_list("pk", flat=True))
    first = manager.get("/audit/exports/").content.decode()
    assert [str(pk) in first for pk in newest_first] == [True, True, False]
    second = manager.get(f"/audit/exports/?after={newest_first[1]}").content.decode()
    assert [str(pk) in second for pk in newest_first] == [False, False, True]
    assert 'rel="next"' not in second
