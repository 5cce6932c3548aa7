"""Import one claimed batch: its facts first, then its cases, all or nothing.

Two transactions, each of which first locks the batch row and checks that the
claim is still ours, ordered so workers never deadlock:

1. upsert indicators, accounts and their links (sorted keys), then take the
   counters lock (a transaction-scoped advisory lock) and count the new links
   on the indicators, just before the commit. This is
   committed on its own: the rows are facts of accepted alerts and upserting
   them again changes nothing, so a crash after it loses nothing;
2. take the correlation lock (one transaction-scoped advisory lock), then
   correlate, write cases, keys, links, evidence, counters and alert
   statuses, and record the batch's audit event (with the severities it
   raised on its cases' trails) last (the audit chain lock).
   Only holders of the correlation lock write these rows, so nobody holding
   it waits for a worker that is waiting for it; and two workers never open
   two cases for the same key.

A killed worker's second transaction rolls back entirely; its claim goes
stale and the sweeper has the batch claimed again. A database error caused by
the data (not a deadlock or a lost connection) makes the import start over in
isolation mode: alerts are imported in halves, each in a savepoint, down to
the single alert that fails, which is recorded with its error.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import msgspec
import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from cases.intake import Raised, record_intake
from cases.locks import INTAKE_LOCK_KEY
from ingestion.importing.claim import Claim, claim_batch, release, still_ours
from ingestion.importing.correlate import correlate, protected_in, silenced_values
from ingestion.importing.prepare import AlertRejected, PreparedAlert, prepare
from ingestion.importing.upsert import STRONG_TYPES, Upserted, upsert
from ingestion.importing.write import write
from ingestion.models import Batch, Detector

logger = logging.getLogger(__name__)

# Serialises correlation between workers, and with merges (cases.locks).
CORRELATION_LOCK_KEY = INTAKE_LOCK_KEY
# Serialises the indicator counter updates between workers ("counts"): one
# lock in place of a row lock on each of a batch's few thousand indicators,
# which cost a WAL record apiece.
COUNTERS_LOCK_KEY = 0x636F756E7473
# Deadlocks, serialisation failures, lost connections: worth another attempt.
TRANSIENT = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
# psycopg counts "program limit exceeded" (an index row or a statement too large)
# as an OperationalError, but the same data is refused the same way every time:
# it fails the alert that carries it instead of retrying the batch.
_PERMANENT_SQLSTATE_CLASSES = ("54",)

# In the order things were seen: the earliest alert opens the case the later ones join.
_LOAD_SQL = """
SELECT id, detector_id, external_id, kind, severity, confidence, observed_at, title,
       payload::text
  FROM ingestion_alert
 WHERE batch_id = %s AND status = 'pending'
 ORDER BY observed_at, id
"""
# Only values with new links (not yet too common) or seen times moved by more
# than an hour come here (see upsert); only weak values become too common.
# ``i.id = ANY`` makes the planner reach the rows by the primary key; joined
# only to the unnest it scans the table.
_INDICATOR_STATS_SQL = """
UPDATE cases_indicator AS i SET
    account_count = i.account_count + v.n,
    is_too_common = i.is_too_common
                    OR (i.account_count + v.n > %s AND i.type <> ALL(%b::text[])),
    first_seen = LEAST(i.first_seen, v.f),
    last_seen = GREATEST(i.last_seen, v.l)
  FROM unnest(%b::bigint[], %b::int[], %b::timestamptz[], %b::timestamptz[]) AS v(id, n, f, l)
 WHERE i.id = v.id AND i.id = ANY(%b::bigint[])
   AND (v.n > 0 OR v.f < i.first_seen - interval '1 hour' OR v.l > i.last_seen + interval '1 hour')
"""
_FAIL_ALERTS_SQL = """
UPDATE ingestion_alert AS a SET status = 'failed', error = v.error
  FROM unnest(%b::bigint[], %b::text[]) AS v(id, error)
 WHERE a.id = v.id AND a.id = ANY(%b::bigint[]) AND a.status = 'pending'
"""
_COUNTS_SQL = "SELECT status, count(*) FROM ingestion_alert WHERE batch_id = %s GROUP BY status"
_ERRORS_SQL = """
SELECT external_id, error FROM ingestion_alert
 WHERE batch_id = %s AND status = 'failed' ORDER BY id LIMIT 1000
"""
_FINISH_SQL = """
UPDATE ingestion_batch SET status = %s, imported = %s, failed = %s, errors = %s::jsonb,
       finished_at = clock_timestamp()
 WHERE id = %s
"""


class TransientImportError(Exception):
    """The attempt failed for a reason worth retrying (deadlock, lost connection)."""


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt at the same data may succeed."""
    if not isinstance(exc, TRANSIENT):
        return False
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    return not (sqlstate or "").startswith(_PERMANENT_SQLSTATE_CLASSES)


@dataclass
class Totals:
    alerts: int = 0
    accounts: int = 0
    indicators: int = 0
    links: int = 0
    opened: int = 0
    joined: int = 0
    related: int = 0
    merged: int = 0
    evidence: int = 0
    flagged: int = 0
    cases: set[int] = field(default_factory=set)
    raised: list[Raised] = field(default_factory=list)
    merge_events: list[dict] = field(default_factory=list)
    # Per case: (alerts, accounts linked) the batch brought it.
    arrivals: dict[int, tuple[int, int]] = field(default_factory=dict)

    def add(self, other: Totals) -> None:
        for name in ("alerts", "accounts", "indicators", "links", "opened", "joined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.related += other.related
        self.merged += other.merged
        self.evidence += other.evidence
        self.flagged += other.flagged
        self.cases |= other.cases
        self.raised += other.raised
        self.merge_events += other.merge_events
        for pk, (alerts, accounts) in other.arrivals.items():
            had = self.arrivals.get(pk, (0, 0))
            self.arrivals[pk] = (had[0] + alerts, had[1] + accounts)


@dataclass(frozen=True)
class Outcome:
    batch_id: uuid.UUID
    status: str
    imported: int
    failed: int
    cases: list[int]


def import_batch_now(batch_id: uuid.UUID | str) -> Outcome | None:
    """Claim and import a batch. None when there was nothing for this worker to do."""
    claim = claim_batch(batch_id)
    if claim is None:
        return None
    if claim.attempts > settings.IMPORT_MAX_ATTEMPTS:
        return _give_up(claim)
    try:
        return _attempt(claim, isolate=False)
    except Exception as exc:
        if is_transient(exc):
            release(claim, _first_line(exc))
            raise TransientImportError(_first_line(exc)) from exc
        logger.warning("batch %s: %s; importing in isolation", claim.batch_id, _first_line(exc))
    try:
        return _attempt(claim, isolate=True)
    except Exception as exc:
        release(claim, _first_line(exc))
        if is_transient(exc):
            raise TransientImportError(_first_line(exc)) from exc
        raise


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


def _attempt(claim: Claim, *, isolate: bool) -> Outcome | None:
    now = timezone.now()
    with transaction.atomic(), _pg_cursor() as cursor:
        if not still_ours(cursor, claim):
            return None
        _tune_transaction(cursor)
        detector = Detector.objects.only("id", "name").get(pk=claim.detector_id)
        # Binary results: timestamps are read by psycopg's C loader rather
        # than Django's Python one for text.
        cursor.execute(_LOAD_SQL, [claim.batch_id], binary=True)
        prepared: list[PreparedAlert] = []
        failures: list[tuple[int, str]] = []
        for row in cursor.fetchall():
            try:
                prepared.append(prepare(row, detector.name))
            except AlertRejected as exc:
                failures.append((row[0], str(exc)))
            except Exception as exc:  # anything unexpected in one payload fails that alert
                failures.append((row[0], f"cannot be read: {_first_line(exc)}"))
        upserted = None
        if prepared and not isolate:
            # Committed on its own: accounts, indicators and links are facts of
            # accepted alerts, and upserting them again changes nothing. Other
            # workers upserting the same values wait only for this short
            # transaction, not for a whole import.
            upserted = _upsert(cursor, prepared)

    with transaction.atomic(), _pg_cursor() as cursor:
        if not still_ours(cursor, claim):
            return None
        _tune_transaction(cursor)
        _lock_correlation(cursor)
        totals = Totals()
        if isolate:
            _bisect(cursor, prepared, failures, totals, now)
        elif prepared:
            totals = _correlate_and_write(cursor, prepared, upserted, now)
        return _finish(cursor, claim, detector, failures, totals, now)


def _tune_transaction(cursor) -> None:
    # The import can always be redone from the raw alerts, which the alerts
    # endpoint committed durably: if a crash loses this commit, it loses the
    # batch's status with it and the sweeper imports the batch again. Not
    # waiting for the WAL flush shortens the time the correlation lock is held.
    cursor.execute("SET LOCAL synchronous_commit = off", prepare=False)
    # Statements are prepared once per connection, but planned for each batch:
    # a generic plan cannot know that an array holds thousands of keys, and
    # hashes whole tables where a custom plan probes an index per key.
    cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan", prepare=False)


class _ImportCursor(psycopg.Cursor):
    """Prepares each statement on first use: a worker runs the same two dozen for
    every batch on the connection it keeps (Django's own cursors bind on the
    client and never prepare)."""

    def execute(self, query, params=None, *, prepare: bool | None = True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


def _pg_cursor() -> psycopg.Cursor:
    """A cursor on Django's connection (same transaction) binding parameters on the
    server: large arrays travel without being quoted into the SQL text in Python."""
    connection.ensure_connection()
    return _ImportCursor(connection.connection)


def _lock_correlation(cursor) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CORRELATION_LOCK_KEY])


def _upsert(cursor, alerts: list[PreparedAlert]) -> Upserted:
    """Accounts, indicators, links, and the indicators' counters, in one transaction.

    Counters move with the links they count (exactly once), until a value is
    too common. They are updated under the counters lock, last: two workers
    counting the same values cannot deadlock, and the lock is held only for
    the update and the commit.
    """
    upserted = upsert(
        cursor,
        alerts,
        max_links_per_alert=settings.IMPORT_MAX_LINKS_PER_ALERT,
        common_cap=settings.INDICATOR_COMMON_CAP,
    )
    stats = upserted.indicator_stats
    if stats:
        ids = sorted(stats)
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [COUNTERS_LOCK_KEY])
        cursor.execute(
            _INDICATOR_STATS_SQL,
            [
                settings.INDICATOR_COMMON_CAP,
                STRONG_TYPES,
                ids,
                [stats[pk][0] for pk in ids],
                [stats[pk][1] for pk in ids],
                [stats[pk][2] for pk in ids],
                ids,
            ],
        )
    return upserted


def _import_group(cursor, alerts: list[PreparedAlert], now: datetime) -> Totals:
    """Upsert and correlate in the current transaction (isolation mode)."""
    return _correlate_and_write(cursor, alerts, _upsert(cursor, alerts), now)


def _correlate_and_write(cursor, alerts, upserted: Upserted, now: datetime) -> Totals:
    strong = sorted({pk for alert in alerts for pk, *_ in alert.strong})
    silenced = silenced_values(cursor, strong) if strong else set()
    accounts = sorted({pk for alert in alerts for pk in alert.account_ids})
    protected = protected_in(cursor, strong, accounts)
    written = write(cursor, correlate(cursor, alerts, silenced, now, protected), now)
    return Totals(
        alerts=len(alerts),
        accounts=upserted.accounts,
        indicators=upserted.indicators,
        links=upserted.links,
        opened=written.opened,
        joined=written.joined,
        related=written.related,
        merged=written.merged,
        evidence=written.evidence,
        flagged=written.flagged,
        cases=set(written.touched),
        raised=written.raised,
        merge_events=written.merge_events,
        arrivals=written.arrivals,
    )


def _bisect(cursor, alerts, failures, totals: Totals, now: datetime) -> None:
    if not alerts:
        return
    try:
        with transaction.atomic():
            part = _import_group(cursor, alerts, now)
    except Exception as exc:
        if is_transient(exc):
            raise
        if len(alerts) == 1:
            failures.append((alerts[0].id, _first_line(exc)))
            return
        middle = len(alerts) // 2
        _bisect(cursor, alerts[:middle], failures, totals, now)
        _bisect(cursor, alerts[middle:], failures, totals, now)
        return
    totals.add(part)


def _finish(cursor, claim: Claim, detector, failures, totals: Totals, now: datetime) -> Outcome:
    if failures:
        failures.sort()
        cursor.execute(
            _FAIL_ALERTS_SQL,
            [
                [pk for pk, _ in failures],
                [msg[:2000] for _, msg in failures],
                [pk for pk, _ in failures],
            ],
        )
    cursor.execute(_COUNTS_SQL, [claim.batch_id])
    counts = dict(cursor.fetchall())
    imported, failed = counts.get("imported", 0), counts.get("failed", 0)
    errors: list[dict] = []
    if failed:
        cursor.execute(_ERRORS_SQL, [claim.batch_id])
        errors = [{"external_id": ext, "message": msg} for ext, msg in cursor.fetchall()]
    if not failed:
        status = "imported"
    elif imported:
        status = "partially_imported"
    else:
        status = "failed"
    cursor.execute(
        _FINISH_SQL,
        [status, imported, failed, msgspec.json.encode(errors).decode(), claim.batch_id],
    )
    batch = Batch(id=claim.batch_id, detector_id=claim.detector_id)
    cases = sorted(totals.cases)
    # Severities the batch raised go on their cases' trails in the same
    # record_many as the batch's own event, the transaction's last write.
    record_intake(
        totals.raised,
        system="import",
        also=[
            *totals.merge_events,
            {
                "verb": "batch.imported" if status != "failed" else "batch.import_failed",
                "system": "import",
                "target": batch,
                "cases": cases,
                "after": {
                    "detector": detector.name,
                    "status": status,
                    "alerts_imported": totals.alerts,
                    "alerts_failed": len(failures),
                    "cases_opened": totals.opened,
                    "cases_touched": len(cases),
                    "alerts_joined": totals.joined,
                    "cases_related": totals.related,
                    "cases_merged": totals.merged,
                    "accounts": totals.accounts,
                    "indicators": totals.indicators,
                    "new_links": totals.links,
                    "evidence": totals.evidence,
                    "values_flagged": totals.flagged,
                    # Keyed by case id as text (JSON object keys).
                    "arrivals": {str(pk): list(got) for pk, got in sorted(totals.arrivals.items())},
                    "attempt": claim.attempts,
                },
            },
        ],
    )
    return Outcome(claim.batch_id, status, imported, failed, cases)


def _give_up(claim: Claim) -> Outcome | None:
    """Too many attempts: the batch's remaining alerts fail, with the last error."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if not still_ours(cursor, claim):
            return None
        cursor.execute("SELECT errors FROM ingestion_batch WHERE id = %s", [claim.batch_id])
        (previous,) = cursor.fetchone()
        if isinstance(previous, str):  # Django reads jsonb as text
            previous = json.loads(previous)
        last = previous[-1]["message"] if previous else "no error recorded"
        message = f"not imported after {claim.attempts - 1} attempts; last: {last}"
        cursor.execute(_LOAD_SQL, [claim.batch_id])
        failures = [(row[0], message) for row in cursor.fetchall()]
        detector = Detector.objects.only("id", "name").get(pk=claim.detector_id)
        return _finish(cursor, claim, detector, failures, Totals(), now)
