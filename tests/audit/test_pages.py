"""The audit trail page (managers) and the read-only admin."""

import pytest
from django.db import transaction

from audit.events import record
from audit.models import AuditEvent
from people.roles import Role
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db

OTHER_ROLES = [r for r in Role if r != Role.MANAGER]


def events(n, cases=()):
    with transaction.atomic():
        return [record("case.noted", system="test", cases=cases, reason=f"r{i}") for i in range(n)]


def test_a_manager_sees_the_latest_events_first(client, make_user):
    client.force_login(make_user(Role.MANAGER, username="mia"))
    events(3)
    response = client.get("/audit/")
    assert response.status_code == 200
    shown = [(e.sequence, e.verb) for e in response.context["events"]]
    # The manager's own sign-in is event 1.
    assert shown == [(4, "case.noted"), (3, "case.noted"), (2, "case.noted"), (1, "auth.login")]
    assert b'href="/audit/"' in response.content  # the navigation links the page


def test_a_manager_pages_back_by_sequence_and_filters_by_case(client, make_user):
    client.force_login(make_user(Role.MANAGER))  # event 1
    events(120)
    events(2, cases=[77])
    first = client.get("/audit/")
    assert len(first.context["events"]) == 100
    older = client.get("/audit/", {"before": first.context["next_before"]})
    assert [e.sequence for e in older.context["events"]] == list(range(23, 0, -1))
    assert older.context["next_before"] is None
    for_case = client.get("/audit/", {"case": "77"})
    assert [e.sequence for e in for_case.context["events"]] == [123, 122]


@pytest.mark.parametrize("role", [*OTHER_ROLES, None])
def test_everyone_but_managers_is_refused(client, make_user, role):
    user = make_user(role) if role else make_user(is_superuser=True, is_staff=True)
    client.force_login(user)
    assert client.get("/audit/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/audit/").status_code == 302


def test_the_admin_shows_events_but_cannot_add_change_or_delete(admin_client):
    (event,) = events(1)
    assert admin_client.get("/admin/audit/auditevent/").status_code == 200
    assert admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    assert admin_client.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    response = admin_client.post(
        f"/admin/audit/auditevent/{event.pk}/change/", {"reason": "rewritten"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).reason == "r0"


def import_event(case_ids):
    with transaction.atomic():
        return record("batch.imported", system="import", cases=case_ids)


def test_an_event_of_many_cases_shows_their_count_linked_to_their_list(client, make_user):
    client.force_login(make_user(Role.MANAGER))
    big = import_event(range(1, 413))
    small = import_event([7, 8])
    body = client.get("/audit/").content.decode()
    assert f'<a href="/audit/events/{big.sequence}/cases/">412 cases</a>' in body
    assert (
        '<a href="/cases/7/">#7</a> (<a href="?case=7" aria-label="Events of case #7">events</a>), <a href="/cases/8/">#8</a>'
        in body
    )
    assert '<a href="?case=9">' not in body  # not one link per case of the batch
    assert small.sequence > big.sequence


def test_the_cases_of_an_event_are_listed_by_id_a_page_at_a_time(client, make_user):
    client.force_login(make_user(Role.MANAGER))
    cases = [make_case(title=f"network {n}") for n in range(130)]
    event = import_event([c.pk for c in reversed(cases)])
    first = client.get(f"/audit/events/{event.sequence}/cases/")
    assert first.status_code == 200
    assert [c.pk for c in first.context["cases"]] == [c.pk for c in cases[:100]]
    assert "130 cases" in first.content.decode()
    rest = client.get(
        f"/audit/events/{event.sequence}/cases/", {"after": first.context["next_after"]}
    )
    assert [c.pk for c in rest.context["cases"]] == [c.pk for c in cases[100:]]
    assert rest.context["next_after"] is None
    assert client.get("/audit/events/999999/cases/").status_code == 404


@pytest.mark.parametrize("role", [*OTHER_ROLES, None])
def test_everyone_but_managers_is_refused_the_cases_of_an_event(client, make_user, role):
    user = make_user(role) if role else make_user(is_superuser=True, is_staff=True)
    client.force_login(user)
    event = import_event([make_case().pk])
    assert client.get(f"/audit/events/{event.sequence}/cases/").status_code == 403


# session, user, roles, the page's events, the navigation's unread notifications
TRAIL_QUERIES = 5
# session, user, roles, the event, its page of cases, the navigation's unread notifications
EVENT_CASES_QUERIES = 6


def test_the_trail_takes_as_many_queries_for_batches_of_thousands_of_cases_as_for_one(
    client, make_user, django_assert_num_queries
):
    client.force_login(make_user(Role.MANAGER))
    import_event([1])
    with django_assert_num_queries(TRAIL_QUERIES):
        client.get("/audit/")
    with transaction.atomic():
        for n in range(120):
            record("batch.imported", system="import", cases=range(n * 50, n * 50 + 3000))
    with django_assert_num_queries(TRAIL_QUERIES):
        response = client.get("/audit/")
    assert len(response.context["events"]) == 100
    assert response.context["events"][0].case_count == 3000


def test_the_cases_of_an_event_take_a_fixed_number_of_queries(
    client, make_user, django_assert_num_queries
):
    client.force_login(make_user(Role.MANAGER))
    few = import_event([make_case().pk])
    many = import_event([make_case(title=f"n{n}").pk for n in range(150)])
    for event in (few, many):
        with django_assert_num_queries(EVENT_CASES_QUERIES):
            client.get(f"/audit/events/{event.sequence}/cases/")
