"""Celery tasks of the ingestion app.

The alerts endpoint publishes ``import_batch`` with a batch id once the batch
is committed (``ingestion.queue``); a sweeper re-enqueues batches whose
message was lost.
"""

from __future__ import annotations

from celery import shared_task

from ingestion.importing import TransientImportError, import_batch_now, sweep
from ingestion.queue import IMPORT_BATCH, SWEEP_IMPORTS


@shared_task(bind=True, name=IMPORT_BATCH, ignore_result=True, max_retries=None)
def import_batch(self, batch_id: str) -> None:
    """Import the pending alerts of one batch into cases (idempotent).

    The claim in the database, not the message, decides who imports: a
    duplicate or redelivered message finds the batch claimed or finished and
    does nothing. Attempts are counted on the batch (``IMPORT_MAX_ATTEMPTS``).
    """
    try:
        import_batch_now(batch_id)
    except TransientImportError as exc:
        # If the retry cannot be published the batch is pending: the sweeper has it.
        raise self.retry(countdown=min(60, 2 ** min(self.request.retries, 6)), exc=exc) from exc


@shared_task(name=SWEEP_IMPORTS, ignore_result=True)
def sweep_imports() -> None:
    """Scheduled by beat: re-enqueue stranded batches (see ``ingestion.importing.sweep``)."""
    sweep()
