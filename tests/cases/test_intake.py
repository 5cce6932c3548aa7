"""Cases opened and added to by the import, set-based (``cases.intake``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction

from audit.models import AuditEvent
from cases import workflow
from cases.intake import (
    _JOIN_SQL,
    Arrival,
    Opening,
    join_cases,
    open_cases,
    record_intake,
    severity_rank,
)
from cases.models import SEVERITY_RANK, Case
from cases.queries import audit_trail, timeline_page
from cases.workflow import StaleCase
from tests.cases.factories import make_case
from tests.query_plans import plan_nodes

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def cursor() -> psycopg.Cursor:
    """A cursor binding on the server, as the import passes one."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def arrival(case: Case, severity: str = "low", **counts) -> Arrival:
    return Arrival(
        case_id=case.pk,
        alerts=counts.get("alerts", 1),
        accounts=counts.get("accounts", 0),
        evidence=counts.get("evidence", 1),
        rank=SEVERITY_RANK[severity],
        possible_evasion=counts.get("possible_evasion", False),
    )


def test_ranks_are_the_models_ranks():
    assert [severity_rank(s) for s in ("low", "medium", "high", "critical")] == [1, 2, 3, 4]


def test_opened_cases_take_severity_and_sla_from_their_most_severe_alert():
    with transaction.atomic():
        (opened,) = open_cases(
            [Opening("Proxy cluster", "", SEVERITY_RANK["critical"], "campaign:1:x", False)], NOW
        )

    case = Case.objects.get(pk=opened.id)
    assert (case.status, case.severity, case.severity_rank) == ("new", "critical", 4)
    assert case.sla_due_at == NOW + timedelta(hours=settings.CASE_SLA_HOURS["critical"])
    assert case.version == 1


def test_counters_alone_leave_the_version_and_the_trail_alone():
    case = make_case(severity="high")

    with transaction.atomic(), cursor() as cur:
        raised = join_cases(cur, [arrival(case, "medium", alerts=3, accounts=2, evidence=4)], NOW)
        record_intake(raised, system="import")

    case.refresh_from_db()
    assert raised == []
    assert (case.alert_count, case.account_count, case.evidence_count) == (3, 2, 4)
    assert (case.severity, case.version) == ("high", 1)
    assert not AuditEvent.objects.for_case(case.pk).exists()


def test_a_raised_severity_bumps_the_version_and_is_on_the_case_trail(make_user):
    case = make_case(severity="low")
    due = case.sla_due_at

    with transaction.atomic(), cursor() as cur:
        raised = join_cases(cur, [arrival(case, "critical")], NOW)
        record_intake(raised, system="import")

    case.refresh_from_db()
    assert [item.case_id for item in raised] == [case.pk]
    assert (case.severity, case.severity_rank, case.version) == ("critical", 4, 2)
    assert case.updated_by is None
    # A severity form opened before is stale, and says the import changed it.
    with pytest.raises(StaleCase, match="its severity was changed by the import at 20"):
        workflow.set_severity(case.pk, "low", actor=make_user("investigator"), version=1)
    assert case.sla_due_at == min(
        due, case.created_at + timedelta(hours=settings.CASE_SLA_HOURS["critical"])
    )
    (event,) = audit_trail(case)
    assert (event.verb, event.system) == ("case.severity_changed", "import")
    assert event.before["severity"] == "low" and event.after["severity"] == "critical"
    page = timeline_page(case, show="imports", cursor=None, size=10)
    titles = [entry.title for entry in page.entries]
    assert "Severity low → critical" in titles


def test_one_record_many_holds_an_event_per_raised_case_and_the_callers_own():
    low, high = make_case(severity="low"), make_case(severity="high")
    other = make_case(severity="low")

    with transaction.atomic(), cursor() as cur:
        raised = join_cases(
            cur, [arrival(low, "high"), arrival(high, "medium"), arrival(other, "medium")], NOW
        )
        record_intake(
            raised, system="import", also=[{"verb": "batch.imported", "system": "import"}]
        )

    assert [item.case_id for item in raised] == sorted([low.pk, other.pk])
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [(e.verb, e.case_ids) for e in events] == [
        ("case.severity_changed", [low.pk]),
        ("case.severity_changed", [other.pk]),
        ("batch.imported", []),
    ]
    # One record_many: one timestamp for the three.
    assert len({e.occurred_at for e in events}) == 1
    assert Case.objects.get(pk=high.pk).version == 1


def test_the_join_reaches_case_rows_by_primary_key():
    with cursor() as cur:
        cur.execute(
            "INSERT INTO cases_case (title, summary, status, resolution, severity, severity_rank,"
            " escalation_level, tlp, tags, attribution_actor, attribution_confidence,"
            " attribution_rationale, correlation_key, created_at, updated_at, last_activity_at)"
            " SELECT 'c' || n, '', 'new', '', 'low', 1, '', 'amber', '[]', '', '', '', '',"
            " now(), now(), now() FROM generate_series(1, 50000) AS n"
        )
        cur.execute("ANALYZE cases_case")
        cur.execute("SELECT id FROM cases_case ORDER BY id DESC LIMIT 500")
        ids = sorted(pk for (pk,) in cur.fetchall())
        n = len(ids)
        cur.execute(
            "EXPLAIN (FORMAT JSON) " + _JOIN_SQL,
            [
                ids,
                NOW,
                NOW,
                NOW,
                ids,
                [1] * n,
                [0] * n,
                [1] * n,
                [2] * n,
                ["medium"] * n,
                [72] * n,
                [False] * n,
                ids,
            ],
        )
        nodes = plan_nodes(cur.fetchone()[0])
    summary = json.dumps(
        [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes]
    )
    assert not [
        n for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "cases_case"
    ], summary
