"""Store validated alerts: one transaction, set-based SQL, then publish the import.

Nothing is lost once this returns: the batch (raw body included) and every
new alert are committed before the caller answers 202. The import is
published after commit; if the broker is down the batch stays ``pending``
and the sweeper re-enqueues it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import psycopg
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ingestion.models import BatchStatus, Detector
from ingestion.queue import publish_import
from ingestion.validation import ValidAlert

logger = logging.getLogger(__name__)

# last_seen_at is written at most this often per detector, not on every post.
LAST_SEEN_RESOLUTION = timedelta(seconds=30)

_NEW_KEYS_SQL = """
INSERT INTO ingestion_alertkey (detector_id, external_id, alert_id)
SELECT %s, e, nextval('{sequence}'::regclass)
FROM unnest(%s::text[]) AS e
ORDER BY e
ON CONFLICT DO NOTHING
RETURNING external_id, alert_id
"""
# Sorted keys: two requests sharing external ids lock them in the same order.

_BATCH_SQL = """
INSERT INTO ingestion_batch (id, detector_id, raw_body, status, accepted, duplicates,
                             imported, failed, errors, received_at, finished_at, attempts)
VALUES (%s, %s, %s, %s, %s, %s, 0, 0, '[]', %s, %s, 0)
"""

_COPY_ALERTS_SQL = """
COPY ingestion_alert (id, batch_id, detector_id, external_id, kind, severity, confidence,
                      observed_at, title, payload, received_at, status, error)
FROM STDIN
"""

_sequence_name: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    batch_id: uuid.UUID
    accepted: int
    duplicates: int


def _alert_sequence(cursor) -> str:
    global _sequence_name
    if _sequence_name is None:
        cursor.execute("SELECT pg_get_serial_sequence('ingestion_alert', 'id')")
        _sequence_name = cursor.fetchone()[0]
    return _sequence_name


def store_alerts(detector: Detector, body: bytes, alerts: list[ValidAlert]) -> Accepted:
    """Store a validated request; new alerts are those whose key was not taken."""
    first: dict[str, ValidAlert] = {}
    for alert in alerts:
        # Within one request the first occurrence of an external id wins.
        first.setdefault(alert.external_id, alert)
    batch_id = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        connection.ensure_connection()
        # Server-side binding sends the raw body and the id array in binary;
        # Django's client-side binding would escape them into the SQL text.
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                _NEW_KEYS_SQL.format(sequence=_alert_sequence(cursor)),
                [detector.pk, list(first)],
            )
            new_ids = dict(cursor.fetchall())
            accepted = len(new_ids)
            cursor.execute(
                _BATCH_SQL,
                [
                    batch_id,
                    detector.pk,
                    body,
                    (BatchStatus.PENDING if accepted else BatchStatus.IMPORTED).value,
                    accepted,
                    len(alerts) - accepted,
                    now,
                    None if accepted else now,
                ],
            )
            if accepted:
                # COPY's text format written directly: per-row adaptation by
                # write_row cost as much as validating the alert.
                fixed = f"\t{batch_id}\t{detector.pk}\t"
                stamp = f"\t{now.isoformat()}\tpending\t\n"
                lines = [
                    f"{alert_id}{fixed}{_copy_text(external_id)}\t{alert.kind}\t"
                    f"{alert.severity}\t{alert.confidence!r}\t{alert.observed_at.isoformat()}\t"
                    f"{_copy_text(alert.title)}\t{_copy_text(alert.payload)}{stamp}"
                    for external_id, alert_id in new_ids.items()
                    for alert in (first[external_id],)
                ]
                with cursor.copy(_COPY_ALERTS_SQL) as copy:
                    copy.write("".join(lines))
        if accepted:
            transaction.on_commit(partial(publish_import, batch_id), robust=True)
    _touch(detector, now)
    return Accepted(batch_id=batch_id, accepted=accepted, duplicates=len(alerts) - accepted)


def _copy_text(value: str) -> str:
    """A value in COPY's text format (U+0000 was refused by validation)."""
    if "\\" in value or "\n" in value or "\r" in value or "\t" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
        )
    return value


def _touch(detector: Detector, now) -> None:
    if detector.last_seen_at and detector.last_seen_at >= now - LAST_SEEN_RESOLUTION:
        return  # recent enough, as read when the request was authenticated
    Detector.objects.filter(pk=detector.pk).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - LAST_SEEN_RESOLUTION)
    ).update(last_seen_at=now)
