"""Every batch asks which of its values and accounts may join: the known-shared list and the
protected accounts. Those reads reach rows by index whatever the size of the tables."""

from __future__ import annotations

import json

import pytest

from ingestion.importing.correlate import (
    _KNOWN_SHARED_SQL,
    _PROTECTED_ACCOUNTS_SQL,
    _PROTECTED_VALUES_SQL,
)
from ingestion.importing.run import _pg_cursor
from tests.query_plans import plan_nodes

pytestmark = pytest.mark.django_db

TABLE_ROWS = 50_000
PROTECTED_INDEXES = {"account_protected", "protected_account_fingerprint"}
BATCH_KEYS = 3_000


def explain(cursor, sql: str, params: list) -> list[dict]:
    cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
    return plan_nodes(cursor.fetchone()[0])


def assert_no_seq_scan(nodes: list[dict], *tables: str) -> None:
    summary = json.dumps(
        [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes]
    )
    scanned = [
        n for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in tables
    ]
    assert not scanned, summary


@pytest.fixture
def batch(make_user):
    """Ids of a batch's payment fingerprints and accounts among TABLE_ROWS of each,
    with a few protected accounts and a few values on the known-shared list."""
    lead = make_user("lead")
    with _pg_cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_indicator (type, value) "
            "SELECT 'payment_fingerprint', 'pf-' || n FROM generate_series(1, %s) AS n",
            [TABLE_ROWS],
        )
        cursor.execute(
            "INSERT INTO cases_account (external_id, payment_fingerprint, is_protected) "
            "SELECT 'acct-' || n, 'pf-' || n, n %% 10000 = 0 FROM generate_series(1, %s) AS n",
            [TABLE_ROWS],
        )
        cursor.execute(
            "INSERT INTO cases_knownsharedvalue (type, value, reason, added_by_id) "
            "SELECT 'payment_fingerprint', 'pf-' || n, 'reseller', %s "
            "FROM generate_series(1, 5) AS n",
            [lead.pk],
        )
        for table in ("cases_indicator", "cases_account", "cases_knownsharedvalue"):
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("SELECT id FROM cases_indicator ORDER BY id DESC LIMIT %s", [BATCH_KEYS])
        values = sorted(pk for (pk,) in cursor.fetchall())
        cursor.execute("SELECT id FROM cases_account ORDER BY id DESC LIMIT %s", [BATCH_KEYS])
        accounts = sorted(pk for (pk,) in cursor.fetchall())
    return values, accounts


def test_the_known_shared_list_is_read_by_index(batch):
    values, _ = batch
    with _pg_cursor() as cursor:
        nodes = explain(cursor, _KNOWN_SHARED_SQL, [values])
    assert_no_seq_scan(nodes, "cases_indicator")
    # By id, or from the (short) list through the unique (type, digest) index.
    reached = {n.get("Index Name") for n in nodes if n.get("Relation Name") == "cases_indicator"}
    assert reached <= {"cases_indicator_pkey", "indicator_type_digest_unique"}, reached
    assert reached


def test_protected_accounts_and_their_values_are_read_through_the_protected_indexes(batch):
    values, accounts = batch
    with _pg_cursor() as cursor:
        value_nodes = explain(cursor, _PROTECTED_VALUES_SQL, [values])
        account_nodes = explain(cursor, _PROTECTED_ACCOUNTS_SQL, [accounts])
    assert_no_seq_scan(value_nodes, "cases_indicator", "cases_account")
    assert_no_seq_scan(account_nodes, "cases_account")
    assert {n.get("Index Name") for n in value_nodes} & PROTECTED_INDEXES
    assert [n for n in account_nodes if n.get("Index Name") == "account_protected"]


def test_protected_values_are_probed_by_digest_before_the_accounts_are_analysed():
    """A campaign adds accounts faster than they are analysed: with no statistics
    yet, a batch's values still reach the protected accounts through the digest
    index, a probe per value."""
    with _pg_cursor() as cursor:
        for step in range(8):
            cursor.execute(
                "INSERT INTO cases_indicator (type, value) "
                "SELECT 'payment_fingerprint', 'pf-' || n FROM generate_series(%s::int, %s::int) AS n",
                [step * 500 + 1, step * 500 + 500],
            )
            cursor.execute(
                "INSERT INTO cases_indicator (type, value) "
                "SELECT 'asn', 'AS' || n FROM generate_series(%s::int, %s::int) AS n",
                [step * 500 + 1, step * 500 + 500],
            )
            cursor.execute(
                "INSERT INTO cases_account (external_id, payment_fingerprint, is_protected) "
                "SELECT 'acct-' || n, 'pf-' || n, n %% 2000 = 0 "
                "FROM generate_series(%s::int, %s::int) AS n",
                [step * 500 + 1, step * 500 + 500],
            )
        cursor.execute("SELECT id FROM cases_indicator ORDER BY id DESC LIMIT 150")
        values = sorted(pk for (pk,) in cursor.fetchall())
        nodes = explain(cursor, _PROTECTED_VALUES_SQL, [values])
    assert_no_seq_scan(nodes, "cases_account")
    assert [n for n in nodes if n.get("Index Name") == "protected_account_fingerprint"]
