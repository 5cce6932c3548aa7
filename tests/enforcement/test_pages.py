"""Action pages: restricted cases stay hidden, and query counts do not grow with rows."""

import pytest
from django.urls import reverse

from cases.models import Case
from enforcement.execution import run_action
from enforcement.workflow import approve_action, propose_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


def test_an_action_on_a_restricted_case_is_hidden_from_those_who_cannot_see_it(
    client, people, make_user
):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    Case.objects.filter(pk=case.pk).update(tlp="red", assignee=people.investigator)
    outsider = make_user("investigator")
    client.force_login(outsider)
    assert client.get(reverse("enforcement:action", args=[action.pk])).status_code == 404
    assert client.get(reverse("enforcement:progress", args=[action.pk])).status_code == 404
    assert client.get("/api/v1/actions/").json()["results"] == []
    assert client.get(f"/api/v1/actions/{action.pk}/").status_code == 404
    client.force_login(people.investigator)  # the assignee
    assert client.get(reverse("enforcement:action", args=[action.pk])).status_code == 200


def test_the_approvals_queue_is_enforcement_s_page_and_its_old_address_redirects(client, people):
    assert reverse("enforcement:approvals") == "/actions/approvals/"
    client.force_login(people.lead)
    response = client.get("/cases/approvals/?page=2")
    assert response.status_code == 301
    assert response["Location"] == "/actions/approvals/?page=2"
    assert client.get(response["Location"]).status_code == 200


def make_actions(people, count, targets):
    actions = []
    for _ in range(count):
        case, _ = make_case_with_accounts(targets)
        actions.append(propose_action(case.pk, actor=people.investigator, kind="suspend_accounts"))
    return actions


def test_the_approvals_queue_costs_the_same_for_one_action_or_twenty(
    client, people, django_assert_max_num_queries
):
    make_actions(people, 1, 2)
    client.force_login(people.lead)
    with django_assert_max_num_queries(APPROVALS_QUERIES):
        client.get(reverse("enforcement:approvals"))
    make_actions(people, 19, 30)
    with django_assert_max_num_queries(APPROVALS_QUERIES):
        response = client.get(reverse("enforcement:approvals"))
    assert response.content.decode().count('name="action"') == 20


def test_the_action_page_costs_the_same_for_three_targets_or_three_hundred(
    client, people, settings, django_assert_max_num_queries
):
    settings.ENFORCEMENT_BACKEND = "log"
    small, large = make_actions(people, 1, 3)[0], make_actions(people, 1, 300)[0]
    for action in (small, large):
        approve_action(action.pk, actor=people.lead)
        run_action(action.pk)
    client.force_login(people.lead)
    for action in (small, large):
        with django_assert_max_num_queries(ACTION_PAGE_QUERIES):
            response = client.get(reverse("enforcement:action", args=[action.pk]))
        assert response.status_code == 200


# session, user, roles, queue, paused, the navigation's unread notifications
# and (for a lead) escalations waiting
APPROVALS_QUERIES = 7
# session, user, roles, action, visibility, targets page + count, blast radius (4), progress
ACTION_PAGE_QUERIES = 13
