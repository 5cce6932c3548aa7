"""The approvals queue is paged by keyset and filtered by the same FilterSet as
``/api/v1/actions/``, at a fixed number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from enforcement import views
from enforcement.models import Action
from enforcement.workflow import approve_action, propose_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db

URL = reverse("enforcement:approvals")


def propose(actor, kind="suspend_accounts", *, days_ago=0):
    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=actor, kind=kind)
    if days_ago:
        Action.objects.filter(pk=action.pk).update(
            proposed_at=timezone.now() - timedelta(days=days_ago)
        )
    return action


def shown(response) -> list[int]:
    assert response.status_code == 200
    return [action.pk for action in response.context["actions"]]


def api_ids(client, params) -> list[int]:
    response = client.get("/api/v1/actions/", params)
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def test_a_lead_pages_through_the_queue_oldest_first_and_back(client, people, monkeypatch):
    monkeypatch.setattr(views, "APPROVALS_PER_PAGE", 3)
    actions = [propose(people.investigator, days_ago=10 - n) for n in range(8)]
    oldest_first = [a.pk for a in actions]
    client.force_login(people.lead)

    first = client.get(URL)
    assert shown(first) == oldest_first[:3]
    assert first.context["page"].previous_cursor is None
    second = client.get(URL, {"cursor": first.context["page"].next_cursor})
    assert shown(second) == oldest_first[3:6]
    last = client.get(URL, {"cursor": second.context["page"].next_cursor})
    assert shown(last) == oldest_first[6:]
    assert last.context["page"].next_cursor is None
    back = client.get(URL, {"cursor": last.context["page"].previous_cursor})
    assert shown(back) == oldest_first[3:6]
    assert 'rel="next"' in back.content.decode() and 'rel="prev"' in back.content.decode()


def test_a_page_link_keeps_the_filters_and_a_bad_cursor_shows_the_first_page(
    client, people, monkeypatch
):
    monkeypatch.setattr(views, "APPROVALS_PER_PAGE", 2)
    for n in range(3):
        propose(people.investigator, "require_verification", days_ago=5 - n)
    propose(people.investigator)
    client.force_login(people.lead)
    first = client.get(URL, {"kind": "require_verification"})
    body = first.content.decode()
    assert f"?kind=require_verification&amp;cursor={first.context['page'].next_cursor}" in body
    broken = client.get(URL, {"kind": "require_verification", "cursor": "not-a-cursor"})
    assert shown(broken) == shown(first)
    assert "no longer valid" in broken.content.decode()


def test_the_page_and_the_api_filter_by_kind_case_proposer_state_and_date(client, people):
    by_ivy = propose(people.investigator, "suspend_accounts", days_ago=20)
    by_lee = propose(people.lead, "require_verification", days_ago=3)
    two_step = propose(people.investigator, "terminate_accounts", days_ago=1)
    approve_action(two_step.pk, actor=people.lead)  # awaiting a second lead now
    done = propose(people.investigator, "suspend_accounts")
    approve_action(done.pk, actor=people.lead)  # decided: on the API, not in the queue
    client.force_login(people.other_lead)
    since = (timezone.now() - timedelta(days=5)).date().isoformat()

    # The API lists decided actions too; the queue only those awaiting a decision.
    cases = [
        ({"kind": "require_verification"}, [by_lee], []),
        ({"kind": ["suspend_accounts", "terminate_accounts"]}, [by_ivy, two_step], [done]),
        ({"case": by_ivy.case_id}, [by_ivy], []),
        ({"proposer": "lee"}, [by_lee], []),
        ({"state": "awaiting_second_approval"}, [two_step], []),
        ({"proposed_after": since}, [by_lee, two_step], [done]),
    ]
    for params, queued, decided in cases:
        assert shown(client.get(URL, params)) == [a.pk for a in queued], params
        assert api_ids(client, params) == sorted(a.pk for a in {*queued, *decided}), params

    mine = client.get(URL, {"proposer": "me"})
    assert shown(mine) == []
    client.force_login(people.lead)
    assert shown(client.get(URL, {"proposer": "me"})) == [by_lee.pk]
    assert api_ids(client, {"proposer": "me"}) == [by_lee.pk]


def test_a_filter_the_queue_cannot_take_is_shown_at_the_form(client, people):
    propose(people.investigator)
    client.force_login(people.lead)
    response = client.get(URL, {"state": "executed", "case": "x"})
    assert response.status_code == 200
    assert response.context["actions"] == []
    body = response.content.decode()
    assert 'id="error-state"' in body and 'id="error-case"' in body
    assert client.get("/api/v1/actions/", {"case": "x"}).status_code == 400


@pytest.mark.parametrize(
    "role", ["investigator", "manager", "policy", "legal", "executive", "administrator"]
)
def test_a_filtered_queue_is_still_for_leads_only(client, make_user, people, role):
    action = propose(people.investigator)
    client.force_login(make_user(role))
    response = client.get(URL, {"kind": "suspend_accounts", "case": action.case_id})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["administrator", None])
def test_the_filtered_api_list_refuses_who_reads_no_case(client, make_user, people, role):
    propose(people.investigator)
    client.force_login(make_user(role) if role else make_user())
    assert client.get("/api/v1/actions/", {"kind": "suspend_accounts"}).status_code == 403


# session, user, roles, the page of actions, paused actions, the navigation's
# unread notifications and (for a lead) escalations waiting
QUEUE_QUERIES = 7


def test_the_queue_takes_as_many_queries_for_sixty_actions_as_for_one(
    client, people, django_assert_num_queries
):
    propose(people.investigator)
    client.force_login(people.lead)
    with django_assert_num_queries(QUEUE_QUERIES):
        client.get(URL)
    for n in range(59):
        propose(people.investigator, days_ago=n % 7)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(URL, {"kind": "suspend_accounts"})
    assert len(shown(response)) == views.APPROVALS_PER_PAGE
    with django_assert_num_queries(QUEUE_QUERIES):
        client.get(URL, {"cursor": response.context["page"].next_cursor})
