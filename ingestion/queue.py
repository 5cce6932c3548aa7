"""Where ingestion enqueues its Celery work: the one publisher of an import.

Tasks are sent by name, so this module imports no task: services call it,
``ingestion.tasks`` imports the services, and nothing loops back. A lost
message delays an import, never loses it: the sweeper re-enqueues pending
batches.
"""

from __future__ import annotations

import logging
import time
import uuid

from celery import current_app

logger = logging.getLogger(__name__)

IMPORT_BATCH = "ingestion.tasks.import_batch"
SWEEP_IMPORTS = "ingestion.tasks.sweep_imports"

# After a failure the broker is left alone for a few seconds, so an outage does
# not add a connection attempt to every accepted request.
BROKER_RETRY_SECONDS = 5
_broker_down_until: dict[str, float] = {}


def publish_import(batch_id: uuid.UUID | str) -> bool:
    """Publish the import of a batch; False (and a log line) when the broker does not take it.

    Never raises: it runs after commit, where the batch is already safe.
    """
    broker = current_app.conf.broker_url
    if time.monotonic() < _broker_down_until.get(broker, 0.0):
        return False
    try:
        current_app.send_task(IMPORT_BATCH, args=[str(batch_id)])
    except Exception as exc:
        _broker_down_until[broker] = time.monotonic() + BROKER_RETRY_SECONDS
        logger.warning(
            "could not publish import of batch %s (%s); the sweeper will enqueue pending batches",
            batch_id,
            exc,
        )
        return False
    return True
