from __future__ import annotations

from celery import shared_task
from django.conf import settings

from audit import export_jobs
from audit.checkpoints import make_checkpoint


@shared_task(name="audit.tasks.checkpoint", ignore_result=True)
def checkpoint() -> None:
    """Scheduled by beat: sign the chain's head, when a key is configured."""
    if not settings.AUDIT_CHECKPOINT_KEYS:
        return
    make_checkpoint()


@shared_task(name=export_jobs.WRITE_EXPORT_JOB, ignore_result=True)
def write_export_job(job_id: str) -> None:
    """Write a large export's file (queued when the job is requested)."""
    export_jobs.write(job_id)


@shared_task(name="audit.tasks.remove_expired_exports", ignore_result=True)
def remove_expired_exports() -> None:
    """Scheduled by beat: remove export files whose time ran out."""
    export_jobs.remove_expired()
