from __future__ import annotations

from celery import shared_task

from audit import checkpoints, export_jobs


@shared_task(name="audit.tasks.anchor", ignore_result=True)
def anchor() -> None:
    """Scheduled by beat every AUDIT_ANCHOR_INTERVAL: anchor the chain's head outside."""
    checkpoints.anchor()


@shared_task(name=export_jobs.WRITE_EXPORT_JOB, ignore_result=True)
def write_export_job(job_id: str) -> None:
    """Write a large export's file (queued when the job is requested)."""
    export_jobs.write(job_id)


@shared_task(name="audit.tasks.remove_expired_exports", ignore_result=True)
def remove_expired_exports() -> None:
    """Scheduled by beat: remove export files whose time ran out."""
    export_jobs.remove_expired()
