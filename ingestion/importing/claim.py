"""Claiming a batch in the database, so each batch is imported by one worker at a time.

A claim is a conditional UPDATE committed on its own: ``pending`` (or
``importing`` with a claim older than ``IMPORT_CLAIM_TIMEOUT``, left by a dead
worker) becomes ``importing`` with a fresh ``claimed_at`` and one more
attempt. The import transaction then locks the batch row and checks that the
claim is still its own, so a worker that lost its claim to the sweeper while
stalled writes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import msgspec
from django.conf import settings
from django.db import connection, transaction

_CLAIM_SQL = """
UPDATE ingestion_batch
   SET status = 'importing', claimed_at = clock_timestamp(), attempts = attempts + 1
 WHERE id = %s
   AND (status = 'pending'
        OR (status = 'importing'
            AND claimed_at < clock_timestamp() - make_interval(secs => %s)))
RETURNING claimed_at, attempts, detector_id
"""
_HOLD_SQL = "SELECT status, claimed_at FROM ingestion_batch WHERE id = %s FOR UPDATE"
_RELEASE_SQL = """
UPDATE ingestion_batch SET status = 'pending', claimed_at = NULL, errors = %s::jsonb
 WHERE id = %s AND status = 'importing' AND claimed_at = %s
"""


@dataclass(frozen=True)
class Claim:
    batch_id: uuid.UUID
    claimed_at: datetime
    attempts: int
    detector_id: int


def claim_batch(batch_id: uuid.UUID | str) -> Claim | None:
    """Claim the batch, or None when it is finished or another worker holds it."""
    batch_id = uuid.UUID(str(batch_id))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [batch_id, settings.IMPORT_CLAIM_TIMEOUT])
        row = cursor.fetchone()
    if row is None:
        return None
    return Claim(batch_id, row[0], row[1], row[2])


def still_ours(cursor, claim: Claim) -> bool:
    """Lock the batch row for this transaction; False when the claim was lost."""
    cursor.execute(_HOLD_SQL, [claim.batch_id])
    row = cursor.fetchone()
    return row is not None and row[0] == "importing" and row[1] == claim.claimed_at


def release(claim: Claim, message: str) -> None:
    """Give the batch back (``pending``) after a failed attempt, saying why."""
    errors = msgspec.json.encode(
        [{"external_id": None, "message": f"attempt {claim.attempts}: {message}"[:2000]}]
    ).decode()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_RELEASE_SQL, [errors, claim.batch_id, claim.claimed_at])
