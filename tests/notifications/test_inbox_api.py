"""The inbox over REST: the page's entries, order and visibility, and marking read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Tlp
from notifications.inbox import PAGE_SIZE
from notifications.models import Notification
from tests.cases.factories import make_case
from tests.notifications.test_inbox import entries_for

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications/"


def test_the_api_lists_unread_first_a_page_at_a_time(client, cast):
    rows = entries_for(cast.ivy, PAGE_SIZE + 5, read=3)
    client.force_login(cast.ivy)

    first = client.get(API).json()

    assert first["unread"] == PAGE_SIZE + 2
    assert len(first["results"]) == PAGE_SIZE
    assert all(entry["read_at"] is None for entry in first["results"])
    assert first["results"][0]["id"] == rows[-1].pk
    entry = first["results"][0]
    assert entry["kind"] == "case_assigned"
    assert entry["link"] == f"http://testserver/cases/{entry['case']}/"
    second = client.get(first["next"]).json()
    assert [e["read_at"] is None for e in second["results"]] == [True, True] + [False] * 3
    assert second["next"] is None


def test_the_list_costs_the_same_queries_for_any_number_of_entries(client, cast):
    client.force_login(cast.ivy)
    counts = []
    for size in (2, 40):
        entries_for(cast.ivy, size, case=make_case(status="investigating"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(API).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_an_entry_about_a_case_hidden_from_the_reader_is_not_listed(client, cast):
    hidden = make_case(status="investigating", tlp=Tlp.RED)
    entries_for(cast.ivy, 1, case=hidden)
    (shown,) = entries_for(cast.ivy, 1)
    client.force_login(cast.ivy)
    answer = client.get(API).json()
    assert [e["id"] for e in answer["results"]] == [shown.pk]
    assert answer["unread"] == 1


def test_marking_one_and_all_read(client, cast):
    one, *_ = entries_for(cast.ivy, 3)
    (not_mine,) = entries_for(cast.ian, 1)
    client.force_login(cast.ivy)

    assert client.post(f"{API}{one.pk}/read/").status_code == 204
    assert client.post(f"{API}{one.pk}/read/").status_code == 204
    assert client.post(f"{API}{not_mine.pk}/read/").status_code == 404
    assert client.get(API).json()["unread"] == 2
    assert client.post(f"{API}read-all/").json() == {"marked": 2}
    assert client.get(API).json()["unread"] == 0
    assert Notification.objects.get(pk=not_mine.pk).read_at is None


def test_a_bad_cursor_is_a_400_naming_it(client, cast):
    client.force_login(cast.ivy)
    answer = client.get(f"{API}?after=x")
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error["field"] == "after"
    assert "Not a page of this inbox" in error["message"]
