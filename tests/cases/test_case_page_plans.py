"""The indicators panel counts sharing from the case's own values, never through accounts.

A campaign's case of 5,000 accounts beside 2,000 neighbouring cases whose
accounts carry its values: the panel's query (one page of values with both
counts) must read ``cases_caseindicator`` by its indexes and stop each count
at the cap, and touch neither the accounts nor their links.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.cases.bulk import fill_case, share_values
from tests.cases.factories import make_case
from tests.query_plans import plan_nodes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign():
    case = fill_case(make_case(title="Campaign"), accounts=5000, indicators=500)
    share_values(case, cases=2000, common=20)
    # As autovacuum leaves a table at rest: the visibility map lets the
    # counts read the index alone.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_caseindicator, cases_case")
    return case


def panel_sql(client, case) -> str:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/cases/{case.pk}/panels/indicators/")
    assert response.status_code == 200
    (sql,) = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "cases_caseindicator"' in q["sql"] and "LIMIT 26" in q["sql"]
    ]
    return sql


def analyse(sql: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
        (explained,) = cursor.fetchone()
    return json.loads(explained) if isinstance(explained, str) else explained


@pytest.mark.parametrize("role", ["investigator", "lead"])
def test_the_indicators_panel_never_walks_accounts(client, make_user, campaign, role):
    client.force_login(make_user(role))
    explained = analyse(panel_sql(client, campaign))
    nodes = plan_nodes(explained)
    tables = {node.get("Relation Name") for node in nodes}
    assert "cases_caseaccount" not in tables and "cases_accountindicator" not in tables
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"]
    # The twenty values every neighbour shares count to the cap and no further.
    rows = client.get(f"/cases/{campaign.pk}/panels/indicators/").context["indicators"].items
    common = [row for row in rows if row.other_cases >= 1000]
    assert common and all(row.other_cases == 1000 for row in common)
    # A page reads a bounded number of buffers: 25 values, each count at most
    # 1,000 index entries (and, for someone TLP:RED hides cases from, their cases).
    (plan,) = explained
    hits = plan["Plan"]["Shared Hit Blocks"] + plan["Plan"].get("Shared Read Blocks", 0)
    assert hits < 25 * 1000 * (3 if role == "investigator" else 1)
