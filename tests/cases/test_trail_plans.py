"""The timeline and the audit panel read a page of the case's own range of the trail.

A case with 3,000 events among other cases' events: each panel's query walks
the case's links (``audit_caseevent``) newest first and stops at its page,
deep pages too, instead of gathering every event of the case from the GIN
index on ``case_ids`` and sorting them.
"""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.events import record_many
from cases.queries import audit_trail
from cases.workflow import merge_cases
from tests.cases.factories import make_case
from tests.query_plans import plan_nodes

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = 3000


@pytest.fixture
def busy_case():
    case, other = make_case(title="Campaign"), make_case(title="Neighbour")
    with transaction.atomic():
        record_many(
            {"verb": "case.severity_changed", "system": "test", "cases": [pk]}
            for n in range(EVENTS)
            for pk in ((case.pk, other.pk) if n % 3 == 0 else (case.pk,))
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_caseevent, audit_auditevent")
    return case


def explained_nodes(client, url: str, table: str) -> list[dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    (sql,) = [q["sql"] for q in queries.captured_queries if f'"{table}"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (explained,) = cursor.fetchone()
    return plan_nodes(json.loads(explained) if isinstance(explained, str) else explained)


def deep_url(client, panel: str, url: str, pages: int) -> str:
    for _ in range(pages):
        url = client.get(url).context[panel].next_url
    return url


def rows_read(nodes: list[dict], relation: str) -> int:
    return sum(
        n["Actual Rows"] * n["Actual Loops"] for n in nodes if n.get("Relation Name") == relation
    )


@pytest.mark.parametrize("panel", ["timeline", "audit"])
@pytest.mark.parametrize("pages", [0, 20])
def test_a_page_of_a_busy_cases_trail_reads_about_a_page_of_links(
    client, make_user, busy_case, panel, pages
):
    client.force_login(make_user("lead"))
    url = deep_url(client, panel, f"/cases/{busy_case.pk}/panels/{panel}/", pages)
    nodes = explained_nodes(client, url, "audit_caseevent")
    indexes = {n.get("Index Name") for n in nodes}
    assert "audit_event_case_ids_gin" not in indexes
    assert rows_read(nodes, "audit_caseevent") <= 40
    assert not [n for n in nodes if n["Node Type"] in ("Seq Scan", "Bitmap Heap Scan")]


def test_a_survivors_range_holds_the_events_of_the_cases_merged_into_it(make_user):
    survivor, merged = make_case(title="Survivor"), make_case(title="Merged")
    with transaction.atomic():
        record_many([{"verb": "case.noted", "system": "test", "cases": [merged.pk]}])
    merge_cases(survivor, [merged], actor=make_user("lead"), reason="one network")
    verbs = [event.verb for event in audit_trail(survivor)]
    assert "case.noted" in verbs and "case.merged" in verbs
    assert "case.merged_into" in verbs
