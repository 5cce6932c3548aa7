"""The import reaches rows by their keys, whatever the size of the table.

Joined to an ``unnest()`` of a few thousand keys, PostgreSQL prefers hashing
the whole table over probing an index per key once the table is large, a cost
that grows with the table rather than the batch. These tests fill a table,
plan the import's statements with a batch's worth of keys bound as the import
binds them, and check that no plan scans the table.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from audit.events import record_many
from cases.intake import _WORKED_SQL, worked_by_people
from ingestion.importing.run import _INDICATOR_STATS_SQL, _pg_cursor
from ingestion.importing.upsert import _INDICATOR_IDS_SQL, STRONG_TYPES
from ingestion.importing.write import _ALERTS_SQL
from tests.query_plans import plan_nodes

pytestmark = pytest.mark.django_db

TABLE_ROWS = 50_000
BATCH_KEYS = 3_000
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def explain(cursor, sql: str, params: list) -> list[dict]:
    cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
    return plan_nodes(cursor.fetchone()[0])


def assert_probes(nodes: list[dict], table: str, index: str) -> None:
    summary = json.dumps(
        [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes]
    )
    assert not [
        n for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == table
    ], summary
    assert [n for n in nodes if n.get("Index Name") == index], summary


@pytest.fixture
def indicators():
    """(type, value, id) of a batch's worth of the TABLE_ROWS stored indicators."""
    with _pg_cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_indicator (type, value) "
            "SELECT 'ip', '198.51.' || (n / 256) || '.' || (n %% 256) "
            "FROM generate_series(1, %s) AS n",
            [TABLE_ROWS],
        )
        cursor.execute("ANALYZE cases_indicator")
        cursor.execute(
            "SELECT type, value, id FROM cases_indicator ORDER BY id DESC LIMIT %s", [BATCH_KEYS]
        )
        return cursor.fetchall()


def test_indicator_lookup_probes_the_unique_index(indicators):
    rows = sorted(indicators)
    with _pg_cursor() as cursor:
        nodes = explain(
            cursor,
            _INDICATOR_IDS_SQL,
            [
                [kind for kind, _, _ in rows],
                [hashlib.sha256(value.encode()).digest() for _, value, _ in rows],
                [NOW] * len(rows),
                [NOW] * len(rows),
            ],
        )
    assert_probes(nodes, "cases_indicator", "indicator_type_digest_unique")


def test_indicator_counter_update_reaches_rows_by_primary_key(indicators):
    ids = sorted(pk for _, _, pk in indicators)
    with _pg_cursor() as cursor:
        nodes = explain(
            cursor,
            _INDICATOR_STATS_SQL,
            [50, STRONG_TYPES, ids, [1] * len(ids), [NOW] * len(ids), [NOW] * len(ids), ids],
        )
    assert_probes(nodes, "cases_indicator", "cases_indicator_pkey")


def test_alert_status_update_reaches_rows_by_primary_key():
    with _pg_cursor() as cursor:
        cursor.execute(
            "INSERT INTO ingestion_alert (batch_id, detector_id, external_id, kind, severity,"
            " confidence, observed_at, title, payload, received_at, status, error)"
            " SELECT gen_random_uuid(), 1, 'a-' || n, 'k', 'low', 0.5, now(), '', '{}', now(),"
            " 'pending', '' FROM generate_series(1, %s) AS n",
            [TABLE_ROWS],
        )
        cursor.execute("ANALYZE ingestion_alert")
        cursor.execute("SELECT id FROM ingestion_alert ORDER BY id DESC LIMIT 500")
        ids = sorted(pk for (pk,) in cursor.fetchall())
        nodes = explain(cursor, _ALERTS_SQL, [NOW, ids, [1] * len(ids), ids])
    assert_probes(nodes, "ingestion_alert", "ingestion_alert_pkey")


@pytest.fixture
def trail(make_user):
    """20,000 events of the import naming 50 cases each, not analysed (as on a
    server without autovacuum), and one event by a person naming case 7."""
    record_many(
        [
            {"verb": "batch.imported", "system": "import", "cases": range(n, n + 50)}
            for n in range(1, 200001, 10)
        ]
    )
    record_many([{"verb": "case.note_added", "actor": make_user("investigator"), "cases": [7]}])


def test_worked_cases_are_read_through_the_index_of_peoples_events(trail):
    ids = list(range(1, 60))
    with _pg_cursor() as cursor:
        nodes = explain(cursor, _WORKED_SQL, [ids])
        assert worked_by_people(cursor, ids) == {7}
        assert worked_by_people(cursor, [8, 9]) == set()
    assert_probes(nodes, "audit_caseevent", "audit_caseevent_people")
