"""The inbox page: unread first, a page at a time, filtered through case visibility."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Tlp
from cases.workflow import assign, set_tlp
from notifications.delivery import deliver_event
from notifications.inbox import PAGE_SIZE
from notifications.models import Kind, Notification
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db

INBOX = "/notifications/"


def entries_for(person, count: int, *, case=None, read: int = 0) -> list[Notification]:
    """``count`` entries for ``person`` (the first ``read`` of them read), newest last."""
    case = case or make_case(status="investigating", title="Proxy farm")
    start = Notification.objects.count()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                person=person,
                kind="case_assigned",
                event_id=10_000 + start + i,
                case=case,
                text=f"entry {start + i}",
            )
            for i in range(count)
        ]
    )
    if read:
        Notification.objects.filter(pk__in=[row.pk for row in rows[:read]]).update(
            read_at="2026-01-01T00:00:00Z"
        )
    return rows


def unread_shown(response) -> int | None:
    found = re.search(
        r'<span class="count">(\d+)<span class="visually-hidden"> unread</span>',
        response.content.decode(),
    )
    return int(found.group(1)) if found else None


def test_the_navigation_counts_unread_entries(client, cast):
    entries_for(cast.ivy, 3, read=1)
    client.force_login(cast.ivy)
    assert unread_shown(client.get(reverse("cases:queue"))) == 2
    client.force_login(cast.ian)
    assert unread_shown(client.get(reverse("cases:queue"))) is None


def test_unread_entries_come_first_then_older_pages_by_keyset(client, cast):
    rows = entries_for(cast.ivy, PAGE_SIZE + 5, read=PAGE_SIZE)
    client.force_login(cast.ivy)
    first = client.get(INBOX).content.decode()
    texts = re.findall(r">(entry \d+)</a>", first)
    # The five unread (the newest rows) first, newest first; then read ones.
    assert texts[:5] == [row.text for row in reversed(rows[PAGE_SIZE:])]
    assert len(texts) == PAGE_SIZE
    after = re.search(r'href="\?after=([^"]+)"', first).group(1)
    second = client.get(INBOX, {"after": after}).content.decode()
    rest = re.findall(r">(entry \d+)</a>", second)
    assert rest == [row.text for row in reversed(rows[:5])]
    assert "?after=" not in second


def test_a_bad_page_parameter_is_refused_naming_it(client, cast):
    client.force_login(cast.ivy)
    response = client.get(INBOX, {"after": "soon"})
    assert response.status_code == 400
    assert "The after parameter" in response.content.decode()


def test_each_entry_links_what_it_concerns_and_is_marked_read(client, cast):
    case = make_case(status="investigating", title="Proxy farm 9")
    assign(case, cast.ivy, actor=cast.lee)
    deliver_event(AuditEvent.objects.get(verb="case.assigned").pk)
    entry = Notification.objects.get()
    client.force_login(cast.ivy)
    page = client.get(INBOX).content.decode()
    assert f'href="/cases/{case.pk}/"' in page
    assert "Proxy farm 9" in page
    response = client.post(reverse("notifications:read", args=[entry.pk]))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.read_at is not None
    assert unread_shown(client.get(INBOX)) is None


def test_nobody_marks_another_persons_entry(client, cast):
    (entry,) = entries_for(cast.ivy, 1)
    client.force_login(cast.ian)
    assert client.post(reverse("notifications:read", args=[entry.pk])).status_code == 404
    entry.refresh_from_db()
    assert entry.read_at is None


def test_mark_all_read_marks_only_your_own(client, cast):
    entries_for(cast.ivy, 4)
    entries_for(cast.ian, 2)
    client.force_login(cast.ivy)
    response = client.post(reverse("notifications:read-all"), follow=True)
    assert "4 notifications marked read." in response.content.decode()
    assert Notification.objects.filter(read_at__isnull=True, person=cast.ian).count() == 2
    assert Notification.objects.filter(read_at__isnull=True, person=cast.ivy).count() == 0


def test_a_red_cases_entries_are_hidden_from_whoever_may_not_see_it(client, cast):
    case = make_case(status="investigating", title="Partner leak at Acme")
    assign(case, cast.ivy, actor=cast.lee)
    deliver_event(AuditEvent.objects.get(verb="case.assigned").pk)
    client.force_login(cast.ivy)
    assert "Partner leak at Acme" in client.get(INBOX).content.decode()
    # Marked RED and given to someone else: ivy may not see it any more.
    set_tlp(case, Tlp.RED, actor=cast.lee, reason="partner data")
    assign(case, cast.ian, actor=cast.lee)
    page = client.get(INBOX)
    assert "Acme" not in page.content.decode()
    assert f"#{case.pk}" not in page.content.decode()
    assert unread_shown(page) is None
    (entry,) = Notification.objects.filter(person=cast.ivy)
    assert client.post(reverse("notifications:read", args=[entry.pk])).status_code == 404


def test_the_inbox_costs_the_same_queries_with_few_or_many_entries(
    client, cast, django_assert_num_queries
):
    entries_for(cast.ivy, 2, read=1)
    client.force_login(cast.ivy)
    pages = [INBOX, reverse("cases:queue")]  # the inbox, and a page showing only its count
    client.get(INBOX)  # the session and roles warm up alike for both sizes
    few = {}
    for url in pages:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        few[url] = len(captured.captured_queries)
    for _ in range(3):
        entries_for(cast.ivy, 40, case=make_case(status="investigating"), read=10)
    for url in pages:
        with django_assert_num_queries(few[url]):
            assert client.get(url).status_code == 200


def test_email_choices_are_kept_per_kind(client, cast):
    client.force_login(cast.ivy)
    page = client.get(reverse("notifications:email")).content.decode()
    assert page.count("checked") == len(Kind) == 13
    client.post(reverse("notifications:email"), {"email": ["case_assigned", "case_escalated"]})
    page = client.get(reverse("notifications:email")).content.decode()
    assert page.count("checked") == 2
    assert 'value="case_assigned" checked' in page
    response = client.post(reverse("notifications:email"), {"email": ["gossip"]})
    assert response.status_code == 400
    assert "email choice" in response.content.decode()
