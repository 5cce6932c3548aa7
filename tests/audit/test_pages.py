"""The audit trail page (managers) and the read-only admin."""

import pytest
from django.db import transaction

from audit.events import record
from audit.models import AuditEvent
from people.roles import Role

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
