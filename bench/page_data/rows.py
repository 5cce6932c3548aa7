"""Rows written with COPY, ids reserved from the tables' own sequences, and the
audit events appended to the chain as ``audit.events`` appends them."""

from __future__ import annotations

import json
from collections import defaultdict

import psycopg
from django.conf import settings

from audit.chain import GENESIS_HASH, HASHED_FIELDS, compute_hash
from audit.events import CHAIN_LOCK_KEY
from audit.signing import seal_message, sign

# The columns each table is written with, in the order of the rows given.
COLUMNS = {
    "audit_auditevent": " ".join((*HASHED_FIELDS, "hash", "seal", "id")),
    "auth_user": "id password is_superuser username first_name last_name email is_staff is_active date_joined",
    "auth_user_groups": "id user_id group_id",
    "ingestion_detector": "id name description active rate_per_minute last_seen_at created_at",
    "cases_account": "id external_id organization_id email_domain country platform_created_at payment_fingerprint is_protected protected_reason enforcement_state first_seen last_seen",
    "cases_caseaccount": "id case_id account_id reason linked_by_id linked_by_detector linked_at",
    "cases_accountindicator": "id account_id indicator_id first_seen last_seen",
    "cases_indicator": "id type value first_seen last_seen is_too_common account_count",
    "ingestion_correlationkey": "id key case_id indicator_id label created_at",
    "ingestion_batch": "id detector_id raw_body status accepted duplicates imported failed errors received_at claimed_at finished_at attempts",
    "ingestion_alert": "id batch_id detector_id external_id kind severity confidence observed_at title payload received_at status error case_id imported_at",
    "ingestion_alertkey": "detector_id external_id alert_id",
    "cases_evidence": "id case_id kind title content data source_ref sha256 created_by_id created_by_detector created_at",
    "cases_note": "id case_id author_id body created_at",
    "cases_action": "id case_id kind state params rationale notice approvals_required proposed_by_id proposed_at approved_by_id approved_at decided_by_id decided_at decision_reason protected_override_reason started_at finished_at paused_reason approval_comment second_approval_comment",
    "cases_actiontarget": "id action_id target_type value account_id state is_protected attempts executed_at",
    "cases_case_related_cases": "id from_case_id to_case_id",
    "cases_reviewflag": "id case_id indicator_id kind detail status raised_at",
    "cases_case": "id title summary status resolution severity severity_rank escalation_level tlp sla_due_at tags attribution_actor attribution_confidence attribution_rationale created_at updated_at last_activity_at triaged_at assignee_id account_count alert_count evidence_count correlation_key is_possible_evasion version",
}


class Tables:
    """Rows per table, written with one COPY each, in the order first added."""

    def __init__(self) -> None:
        self.columns: dict[str, tuple[str, ...]] = {}
        self.rows: dict[str, list[tuple]] = defaultdict(list)

    def add(self, table: str, row: tuple) -> None:
        self.columns.setdefault(table, tuple(COLUMNS[table].split()))
        self.rows[table].append(row)

    def copy(self, conn: psycopg.Connection) -> dict[str, int]:
        with conn.cursor() as cursor:
            for table, columns in self.columns.items():
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.copy(sql) as copy:
                    for row in self.rows[table]:
                        copy.write_row(row)
        return {table: len(rows) for table, rows in self.rows.items()}


class Ids:
    """Ids reserved from each table's own sequence, so nothing else collides."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def take(self, table: str, n: int) -> range:
        query = "SELECT pg_get_serial_sequence(%s, 'id')"
        (sequence,) = self.conn.execute(query, [table]).fetchone()
        first = self.conn.execute("SELECT nextval(%s)", [sequence]).fetchone()[0]
        if n > 1:
            self.conn.execute("SELECT setval(%s, %s)", [sequence, first + n - 1])
        return range(first, first + n)


def chain_rows(conn: psycopg.Connection, tables: Tables, ids: Ids, events: list[dict]) -> None:
    """The events, oldest first, as rows appended after the chain's head: numbered and
    hashed and sealed as ``audit.events`` does, under its lock (held to the caller's commit)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    head = conn.execute(
        "SELECT sequence, hash FROM audit_auditevent ORDER BY sequence DESC LIMIT 1"
    ).fetchone()
    sequence, prev_hash = head if head else (0, GENESIS_HASH)
    documents = []
    for event in events:
        for name in ("before", "after"):
            value = event.get(name)
            documents.append(None if value is None else json.dumps(value))
    # jsonb's own text form, as the chain hashes it.
    canonical = conn.execute(
        "SELECT ARRAY(SELECT d::jsonb::text FROM unnest(%s::text[]) WITH ORDINALITY"
        " AS t(d, n) ORDER BY n)",
        [documents],
    ).fetchone()[0]
    event_ids = iter(ids.take("audit_auditevent", len(events)))
    defaults = {name: "" for name in HASHED_FIELDS}
    defaults.update(actor_id=None, before=None, after=None, case_ids=[])
    for index, event in enumerate(events):
        sequence += 1
        fields = {**defaults, **event, "sequence": sequence, "prev_hash": prev_hash}
        fields["before"], fields["after"] = canonical[2 * index], canonical[2 * index + 1]
        digest = compute_hash(**fields)
        tables.add(
            "audit_auditevent",
            (
                *(fields[name] for name in HASHED_FIELDS),
                digest,
                sign(settings.AUDIT_SIGNING_KEY, seal_message(digest)),
                next(event_ids),
            ),
        )
        prev_hash = digest
