from __future__ import annotations

from celery import shared_task

from cases.evidence_cleanup import remove_orphaned_files
from cases.workflow.breaches import mark_breaches


@shared_task(name="cases.tasks.remove_orphaned_evidence", ignore_result=True)
def remove_orphaned_evidence() -> int:
    """Scheduled by beat: delete evidence files left without a row. Returns how many."""
    return remove_orphaned_files().removed


@shared_task(name="cases.tasks.mark_sla_breaches", ignore_result=True)
def mark_sla_breaches() -> int:
    """Scheduled by beat: mark the cases whose SLA passed, once each. Returns how many."""
    return len(mark_breaches())
