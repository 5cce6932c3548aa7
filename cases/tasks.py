from __future__ import annotations

from celery import shared_task

from cases.evidence_cleanup import remove_orphaned_files


@shared_task(name="cases.tasks.remove_orphaned_evidence", ignore_result=True)
def remove_orphaned_evidence() -> int:
    """Scheduled by beat: delete evidence files left without a row. Returns how many."""
    return remove_orphaned_files().removed
