"""The sweeper (a lost message or a dead worker delays an alert, never loses it)
and the administrators' retry of failed alerts."""

from __future__ import annotations

import logging
import uuid
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from audit.events import record
from ingestion.models import Batch
from ingestion.queue import publish_import

logger = logging.getLogger(__name__)

_STRANDED_SQL = """
SELECT id FROM ingestion_batch
 WHERE (status = 'pending' AND received_at < now() - make_interval(secs => %s))
    OR (status = 'importing' AND claimed_at < now() - make_interval(secs => %s))
 ORDER BY received_at
 LIMIT %s
"""


def sweep(limit: int = 500) -> list[str]:
    """Re-enqueue batches pending too long and batches whose claim went stale.

    A batch is re-enqueued at most once per ``IMPORT_PENDING_AFTER`` (noted in
    the cache), so a long queue is not flooded with copies; copies would be
    harmless anyway, since only one claim can win.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _STRANDED_SQL, [settings.IMPORT_PENDING_AFTER, settings.IMPORT_CLAIM_TIMEOUT, limit]
        )
        stranded = [str(pk) for (pk,) in cursor.fetchall()]
    sent = []
    for batch_id in stranded:
        try:
            fresh = cache.add(f"import:swept:{batch_id}", 1, timeout=settings.IMPORT_PENDING_AFTER)
        except Exception:  # the cache shares Redis with the broker; try to publish anyway
            fresh = True
        if not fresh:
            continue
        if not publish_import(batch_id):
            break
        sent.append(batch_id)
    if sent:
        logger.info("sweeper re-enqueued %d batch(es)", len(sent))
    return sent


class NothingToRetry(Exception):
    pass


def retry_failed(batch_id: uuid.UUID | str, *, actor) -> int:
    """Put the failed alerts of a finished batch back to pending and enqueue it.

    Returns how many alerts will be retried; audited as ``batch.retry``.
    """
    with transaction.atomic():
        batch = Batch.objects.select_for_update().only("id", "status", "failed").get(pk=batch_id)
        if batch.status not in ("failed", "partially_imported"):
            raise NothingToRetry(f"batch {batch.pk} is {batch.status}; nothing to retry")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE ingestion_alert SET status = 'pending', error = '' "
                "WHERE batch_id = %s AND status = 'failed'",
                [batch.pk],
            )
            count = cursor.rowcount
            cursor.execute(
                "UPDATE ingestion_batch SET status = 'pending', attempts = 0, claimed_at = NULL, "
                "finished_at = NULL, errors = '[]'::jsonb, failed = 0 WHERE id = %s",
                [batch.pk],
            )
        record(
            "batch.retry",
            actor=actor,
            target=batch,
            before={"status": batch.status, "failed": batch.failed},
            after={"status": "pending", "alerts_retried": count},
        )
        transaction.on_commit(partial(publish_import, batch.pk))
    return count
