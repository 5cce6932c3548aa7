"""Celery tasks of the ingestion app.

The alerts endpoint publishes ``import_batch`` with a batch id once the batch
is committed; a sweeper re-enqueues batches whose message was lost.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="ingestion.tasks.import_batch", ignore_result=True)
def import_batch(batch_id: str) -> None:
    """Import the pending alerts of one batch into cases (idempotent)."""
