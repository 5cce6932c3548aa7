"""The actions API list reads every row's progress in one query, however many rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enforcement.workflow import propose_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


def propose(people, n: int) -> None:
    for _ in range(n):
        case, _accounts = make_case_with_accounts(2)
        propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")


def list_actions(client) -> tuple[list[dict], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/actions/")
    assert response.status_code == 200
    return response.json()["results"], len(queries)


def test_listing_actions_takes_as_many_queries_for_twelve_rows_as_for_two(client, people):
    client.force_login(people.manager)
    propose(people, 2)
    rows, few = list_actions(client)
    assert len(rows) == 2

    propose(people, 10)
    rows, many = list_actions(client)

    assert len(rows) == 12
    assert many == few
    assert all(row["progress"]["total"] == 2 for row in rows)
    assert all(row["progress"]["counts"]["pending"] == 2 for row in rows)
