"""The account filter reads the trail by its target index, whatever its length.

Twenty thousand events on other accounts and actions, a handful on one
account: its events are found by ``audit_event_target_idx`` (the account, and
the actions naming it), never by walking the trail.
"""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.events import record_many
from cases.workflow import link_account
from enforcement.workflow import propose_action
from people.roles import Role
from tests.cases.factories import make_account, make_case
from tests.query_plans import plan_nodes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def long_trail(make_user):
    ivy = make_user(Role.INVESTIGATOR, username="ivy")
    case = make_case(status="investigating")
    account = make_account("acct_rare")
    link_account(case, account, actor=ivy, reason="same card")
    propose_action(case.pk, actor=ivy, kind="suspend_accounts")
    for chunk in range(20):
        with transaction.atomic():
            record_many(
                {"verb": "case.noted", "system": "test", "target": other}
                for other in [make_account(f"acct_{chunk}_{n}") for n in range(2)]
                for _ in range(500)
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_auditevent")
    return account


def api_sql(client) -> str:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/audit/events/", {"account": "acct_rare"})
    assert response.status_code == 200
    assert [row["verb"] for row in response.json()["results"]] == [
        "action.proposed",
        "case.account_linked",
    ]
    (sql,) = [q["sql"] for q in queries.captured_queries if 'FROM "audit_auditevent"' in q["sql"]]
    return sql


def test_the_account_filter_reads_the_target_index_not_the_trail(client, make_user, long_trail):
    client.force_login(make_user(Role.MANAGER))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {api_sql(client)}")
        (explained,) = cursor.fetchone()
    explained = json.loads(explained) if isinstance(explained, str) else explained
    nodes = plan_nodes(explained)
    indexes = {n["Index Name"] for n in nodes if "Index Name" in n}
    assert indexes == {"audit_event_target_idx"}
    (heap,) = [n for n in nodes if n.get("Relation Name") == "audit_auditevent"]
    # Only the account's two events are read, of twenty thousand.
    assert heap["Node Type"] == "Bitmap Heap Scan"
    assert heap["Actual Rows"] == 2
