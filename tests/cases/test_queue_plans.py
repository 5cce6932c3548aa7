"""The queue's sorts are read in index order, on the first page and deep in the queue.

Each test asks the queue page for a page, takes the SQL the page ran for its
rows and asks PostgreSQL for that query's plan: it must walk the sort's index
(no Sort node, no sequential scan of the cases), so page 500 costs what page 1
costs however many cases there are.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import SEVERITY_RANK
from cases.pagination import paginate
from cases.queries import queue_queryset
from tests.query_plans import plan_nodes

CASES = 4000
PAGE_SQL_MARK = "LIMIT 51"  # the queue's page size + 1


@pytest.fixture
def lead(client, person):
    user = person("lead")
    client.force_login(user)
    return user


@pytest.fixture
def many_cases(db):
    """Cases spread over activity, severity and due dates; most closed, one in 20 new.

    Every third case has no SLA: it sorts after all that have one.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cases_case (
                title, summary, status, resolution, severity, severity_rank,
                escalation_level, tlp, sla_due_at, tags, attribution_actor,
                attribution_confidence, attribution_rationale, correlation_key,
                created_at, updated_at, last_activity_at
            )
            SELECT 'Cluster ' || i, '', s.status,
                   CASE WHEN s.status = 'closed' THEN 'benign' ELSE '' END,
                   (%(severities)s::text[])[1 + i %% 4], (%(ranks)s::int[])[1 + i %% 4],
                   '', 'amber',
                   CASE WHEN i %% 3 <> 0 THEN now() + (i * 37 %% 5000) * interval '1 minute' END,
                   '[]', '', '', '', '', now(), now(), now() - (i %% 977) * interval '1 minute'
            FROM generate_series(1, %(n)s) AS i,
                 LATERAL (SELECT CASE WHEN i %% 20 = 0 THEN 'new'
                                      WHEN i %% 20 < 4 THEN 'investigating'
                                      ELSE 'closed' END AS status) AS s
            """,
            {
                "n": CASES,
                "severities": list(SEVERITY_RANK),
                "ranks": list(SEVERITY_RANK.values()),
            },
        )
        cursor.execute("ANALYZE cases_case")


def page_query(client, params: dict) -> str:
    """The SQL the queue page ran to read its rows."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/", params)
    assert response.status_code == 200
    (sql,) = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "cases_case"' in q["sql"] and PAGE_SQL_MARK in q["sql"]
    ]
    return sql


def explain(sql: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql)
        return plan_nodes(cursor.fetchone()[0])


def assert_reads_index(sql: str, index: str, *, in_order: bool = True) -> None:
    """The plan reads ``index`` and never scans the whole cases table; when
    ``in_order``, it returns rows in the index's order (no Sort node) and the
    keyset condition is the index's range: it reads no row it then discards
    but the cursor's own."""
    nodes = explain(sql)
    summary = json.dumps(
        [(n["Node Type"], n.get("Index Name", ""), n.get("Rows Removed by Filter")) for n in nodes]
    )
    assert not [
        n for n in nodes if n["Node Type"] == "Seq Scan" and n["Relation Name"] == "cases_case"
    ], summary
    if in_order:
        assert not [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")], summary
        scans = ("Index Scan", "Index Only Scan")
    else:
        scans = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
    used = [n for n in nodes if n["Node Type"] in scans and n.get("Index Name") == index]
    assert used, summary
    if in_order:
        assert used[0].get("Rows Removed by Filter", 0) <= 1, summary


def deep_cursor(user, sort: str, depth: int) -> str:
    """The cursor after the ``depth``-th case of the sort, as the page links carry it."""
    return paginate(queue_queryset(user), sort=sort, cursor=None, size=depth).next_cursor


@pytest.mark.parametrize(
    ("sort", "index", "depth"),
    [
        ("activity", "case_activity", CASES * 3 // 4),
        # Halfway through the cases of one severity: thousands share its key.
        ("severity", "case_severity", CASES * 5 // 8),
        # Among the cases without an SLA, which all share the far-future key.
        ("due", "case_due", CASES - 1000),
    ],
)
def test_each_sort_reads_its_index_on_the_first_and_a_deep_page(
    sort, index, depth, client, lead, many_cases
):
    assert_reads_index(page_query(client, {"sort": sort}), index)

    cursor = deep_cursor(lead, sort, depth)
    assert_reads_index(page_query(client, {"sort": sort, "cursor": cursor}), index)


def test_the_queue_of_one_rare_status_reads_the_status_index(client, lead, many_cases):
    # Why case_status_activity stays next to case_activity: new cases are few
    # among many closed ones; the status index finds them in activity order,
    # where case_activity would step over every closed case first.
    assert_reads_index(page_query(client, {"status": "new"}), "case_status_activity")

    new_cases = queue_queryset(lead).filter(status="new")
    cursor = paginate(new_cases, sort="activity", cursor=None, size=100).next_cursor
    deep = page_query(client, {"status": "new", "cursor": cursor})
    # Deep in a short list the planner may fetch the few rest and sort them.
    assert_reads_index(deep, "case_status_activity", in_order=False)
