"""Export jobs: an audit export too large for one download, written by a worker
to a file under ``EXPORT_ROOT`` (docs/audit-exports.md).

The request fixes the export as a streamed one does (``audit.exports.select``)
and records it on the trail in the same transaction that creates the job;
the task is queued on commit. The worker claims the job with a conditional
update that counts up its ``attempt``, writes the same bytes ``stream`` would
send to a partial file, reporting rows written after each page for the
progress bar, and renames it into place. A redelivered task re-claims the job
and starts again; writes of an older attempt no longer match and are dropped.
Files are removed ``EXPORT_RETENTION_HOURS`` after they are ready.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import timedelta
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import FileResponse
from django.utils import timezone

from audit import exports
from audit.models import ExportJob, ExportJobState
from core.refusals import NotFound

logger = logging.getLogger(__name__)

WRITE_EXPORT_JOB = "audit.tasks.write_export_job"
# The progress bar moves at most this often: two UPDATEs a second, not one per page.
PROGRESS_EVERY_SECONDS = 0.5


def start_job(params, *, actor, selection: exports.Selection | None = None) -> ExportJob:
    """Fix the export (``selection``, when the caller already made it from
    ``params``), record it on the trail and queue a worker to write it."""
    selection = selection or exports.select(params, actor)
    job_id = uuid.uuid4()
    with transaction.atomic():
        export = exports.record_export(selection, actor=actor, job=str(job_id))
        job = ExportJob.objects.create(
            id=job_id,
            requested_by=actor,
            output=selection.output,
            params={name: params.get(name) for name in params if name != "output"},
            filter=selection.filter,
            through_sequence=selection.through_sequence,
            rows=selection.rows,
            tlp_red_included=selection.tlp_red_included,
            generated_at=export.generated_at,
            export_event=export.event_sequence,
        )
        # By name: ``audit.tasks`` imports this module. Robust: with the broker
        # down the export is still recorded; the job page says it waits.
        transaction.on_commit(
            lambda: current_app.send_task(WRITE_EXPORT_JOB, args=[str(job_id)]), robust=True
        )
    return job


def job_of(user, job_id) -> ExportJob:
    """The export job ``job_id`` of ``user``: nobody else's (their filter ran with
    what they may see), else NotFound."""
    try:
        return ExportJob.objects.get(pk=uuid.UUID(str(job_id)), requested_by=user)
    except (ValueError, ExportJob.DoesNotExist) as exc:
        raise NotFound("No such export.") from exc


def file_of(job: ExportJob) -> Path:
    return Path(settings.EXPORT_ROOT) / job.file_name


def file_response(job: ExportJob) -> FileResponse:
    """A finished job's file as a download; NotFound before it is ready or after removal."""
    if job.state == ExportJobState.EXPIRED:
        raise NotFound("This export's file was removed when its time ran out; export again.")
    if job.state != ExportJobState.DONE:
        raise NotFound("This export's file is not ready yet.")
    try:
        handle = file_of(job).open("rb")
    except FileNotFoundError as exc:
        raise NotFound("This export's file is no longer there; export again.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=job.filename,
        content_type=exports.CONTENT_TYPES[job.output],
    )
    response["Dossier-Export-Rows"] = str(job.rows_written)
    response["Dossier-Export-Event"] = str(job.export_event)
    response["Dossier-Manifest"] = "trailer"
    return response


def progress_report(job: ExportJob) -> dict:
    """The job page's progress bar and its JSON endpoint."""
    if job.state == ExportJobState.DONE:
        label = f"{job.rows_written:,} of {job.rows:,} events written; ready to download"
    elif job.state == ExportJobState.FAILED:
        label = f"Failed after {job.rows_written:,} of {job.rows:,} events: {job.error}"
    elif job.state == ExportJobState.EXPIRED:
        label = "The file was removed when its time ran out; export again to get it."
    else:
        label = f"{job.rows_written:,} of {job.rows:,} events written"
    return {
        "job": str(job.pk),
        "state": job.state,
        "state_label": job.get_state_display(),
        "total": job.rows,
        "settled": job.rows_written,
        "label": label,
    }


def _claim(job_id: str) -> tuple[ExportJob, int] | None:
    """Take the job for this worker: once queued, again after a worker died."""
    claimed = ExportJob.objects.filter(
        pk=job_id, state__in=[ExportJobState.QUEUED, ExportJobState.RUNNING]
    ).update(state=ExportJobState.RUNNING, attempt=F("attempt") + 1, rows_written=0)
    if not claimed:
        return None
    job = ExportJob.objects.get(pk=job_id)
    return job, job.attempt


def write(job_id: str) -> None:
    """Write the job's file (the worker's task); a job already finished is left alone."""
    claimed = _claim(job_id)
    if claimed is None:
        return
    job, attempt = claimed
    mine = ExportJob.objects.filter(pk=job.pk, attempt=attempt, state=ExportJobState.RUNNING)
    root = Path(settings.EXPORT_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    name = f"{job.pk}.{job.output}"
    partial = root / f"{name}.{attempt}.part"
    last_report = [timezone.now()]

    def report(rows: int) -> None:
        now = timezone.now()
        if (now - last_report[0]).total_seconds() >= PROGRESS_EVERY_SECONDS:
            mine.update(rows_written=rows)
            last_report[0] = now

    written = [0]

    def count(rows: int) -> None:
        written[0] = rows
        report(rows)

    try:
        export = exports.Export(
            output=job.output,
            filter=job.filter,
            through_sequence=job.through_sequence,
            rows=job.rows,
            tlp_red_included=job.tlp_red_included,
            generated_by=job.requested_by.get_username(),
            generated_at=job.generated_at,
            event_sequence=job.export_event,
            events=exports.filtered_events(job.params, job.requested_by)[0].filter(
                sequence__lte=job.through_sequence
            ),
        )
        with partial.open("wb") as out:
            for chunk in exports.stream(export, progress=count):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except Exception as exc:
        partial.unlink(missing_ok=True)
        mine.update(state=ExportJobState.FAILED, error=str(exc)[:500], finished_at=timezone.now())
        logger.exception("export job %s failed", job.pk)
        raise
    finished = timezone.now()
    if not mine.exists():
        partial.unlink(missing_ok=True)  # a later attempt owns the job now
        return
    partial.replace(root / name)
    mine.update(
        state=ExportJobState.DONE,
        rows_written=written[0],
        file_name=name,
        size=(root / name).stat().st_size,
        finished_at=finished,
        expires_at=finished + timedelta(hours=settings.EXPORT_RETENTION_HOURS),
    )


def remove_expired(now=None) -> int:
    """Remove the files whose time ran out (beat, every EXPORT_CLEANUP_INTERVAL);
    how many were removed."""
    now = now or timezone.now()
    removed = 0
    expiring = ExportJob.objects.filter(state=ExportJobState.DONE, expires_at__lte=now)
    for job in expiring.only("pk", "file_name").iterator():
        # Claimed first, so two beats never both count one file.
        if ExportJob.objects.filter(pk=job.pk, state=ExportJobState.DONE).update(
            state=ExportJobState.EXPIRED
        ):
            file_of(job).unlink(missing_ok=True)
            removed += 1
    return removed
