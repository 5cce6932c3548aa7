from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from cases.models import Case
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


def rows(response) -> list[str]:
    return [case.title for case in response.context["cases"]]


@pytest.fixture
def investigator(client, make_user):
    user = make_user("investigator", username="ivy")
    client.force_login(user)
    return user


def test_it_lists_cases_with_status_severity_and_assignee(client, investigator):
    make_case(title="Proxy cluster", severity="high", assignee=investigator)
    response = client.get("/cases/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Proxy cluster" in body
    assert "High" in body
    assert "ivy" in body
    assert "1 case" in body


def test_it_refuses_people_without_a_case_role(client, make_user):
    client.force_login(make_user("administrator"))
    assert client.get("/cases/").status_code == 403


def test_it_refuses_a_superuser_without_a_role(client, make_user):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    assert client.get("/cases/").status_code == 403


def test_it_marks_overdue_open_cases(client, investigator):
    make_case(title="Late", sla_due_at=timezone.now() - timedelta(hours=1))
    make_case(
        title="Late but closed",
        status="closed",
        resolution="benign",
        sla_due_at=timezone.now() - timedelta(hours=1),
    )
    response = client.get("/cases/")
    marked = {c.title: c.is_overdue for c in response.context["cases"]}
    assert marked == {"Late": True, "Late but closed": False}
    assert response.content.decode().count(" overdue</time>") == 1


def test_it_filters_by_me_and_unassigned(client, investigator, make_user):
    other = make_user("investigator", username="otto")
    make_case(title="Mine", assignee=investigator)
    make_case(title="Theirs", assignee=other)
    make_case(title="Nobody's")
    assert rows(client.get("/cases/?assignee=me")) == ["Mine"]
    assert rows(client.get("/cases/?assignee=unassigned")) == ["Nobody's"]
    assert rows(client.get("/cases/?assignee=otto")) == ["Theirs"]


def test_it_filters_by_status_severity_tlp_tag_and_text(client, investigator):
    make_case(title="A", status="new", severity="low", tlp="green", tags=["proxy"])
    make_case(title="B", status="triage", severity="critical", tlp="amber", summary="resold keys")
    make_case(title="C", status="investigating", severity="high", tlp="amber", tags=["cot"])
    assert sorted(rows(client.get("/cases/?status=new&status=triage"))) == ["A", "B"]
    assert rows(client.get("/cases/?severity=critical")) == ["B"]
    assert rows(client.get("/cases/?tlp=green")) == ["A"]
    assert rows(client.get("/cases/?tag=cot")) == ["C"]
    assert rows(client.get("/cases/?q=RESOLD")) == ["B"]


def test_it_filters_by_created_and_due_ranges_and_overdue(client, investigator):
    soon = make_case(title="Soon", sla_due_at=timezone.now() + timedelta(hours=2))
    make_case(title="Later", sla_due_at=timezone.now() + timedelta(days=9))
    make_case(title="Late", sla_due_at=timezone.now() - timedelta(days=1))
    Case.objects.filter(pk=soon.pk).update(created_at=timezone.now() - timedelta(days=30))
    today = timezone.now().date()
    query = urlencode({"due_after": today.isoformat(), "due_before": today + timedelta(days=1)})
    assert rows(client.get(f"/cases/?{query}")) == ["Soon"]
    query = urlencode({"created_before": today - timedelta(days=10)})
    assert rows(client.get(f"/cases/?{query}")) == ["Soon"]
    assert rows(client.get("/cases/?overdue=true")) == ["Late"]


def test_it_shows_field_errors_next_to_the_field(client, investigator):
    response = client.get("/cases/?status=bogus&created_after=notadate")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_status_error"' in body
    assert 'id="id_created_error"' in body
    assert response.context["cases"] == []


def test_it_sorts_by_due_severity_and_activity(client, investigator):
    now = timezone.now()
    make_case(title="a", severity="low", sla_due_at=now + timedelta(hours=1), last_activity_at=now)
    make_case(
        title="b",
        severity="critical",
        sla_due_at=None,
        last_activity_at=now - timedelta(hours=2),
    )
    make_case(
        title="c",
        severity="high",
        sla_due_at=now + timedelta(hours=3),
        last_activity_at=now - timedelta(hours=1),
    )
    assert rows(client.get("/cases/?sort=due")) == ["a", "c", "b"]
    assert rows(client.get("/cases/?sort=severity")) == ["b", "c", "a"]
    assert rows(client.get("/cases/?sort=activity")) == ["a", "c", "b"]


@pytest.mark.parametrize("sort", ["due", "severity", "activity"])
def test_keyset_pages_visit_every_case_once_in_both_directions(client, investigator, sort):
    now = timezone.now()
    for n in range(120):
        # Many equal keys, so the id tie-breaker matters.
        make_case(
            title=f"case {n}",
            severity=["low", "high"][n % 2],
            sla_due_at=None if n % 5 == 0 else now + timedelta(hours=n % 7),
            last_activity_at=now - timedelta(minutes=n % 4),
        )
    seen: list[str] = []
    pages = []
    response = client.get(f"/cases/?sort={sort}")
    while True:
        pages.append(response)
        seen.extend(rows(response))
        page = response.context["page"]
        if not page.next_cursor:
            break
        response = client.get(f"/cases/?sort={sort}&cursor={page.next_cursor}")
    assert len(seen) == 120
    assert len(set(seen)) == 120
    assert len(pages) == 3
    # Walking back from the last page gives the same pages.
    previous = pages[-1].context["page"].previous_cursor
    back = client.get(f"/cases/?sort={sort}&cursor={previous}")
    assert rows(back) == rows(pages[1])
    assert back.context["page"].previous_cursor
    first = client.get(f"/cases/?sort={sort}&cursor={back.context['page'].previous_cursor}")
    assert rows(first) == rows(pages[0])
    assert first.context["page"].previous_cursor is None


def test_it_recovers_from_a_tampered_cursor(client, investigator):
    make_case(title="Only")
    response = client.get("/cases/?cursor=not-a-cursor")
    assert rows(response) == ["Only"]
    assert "no longer valid" in response.content.decode()


def test_saved_views_are_links_with_preset_filters(client, investigator):
    body = client.get("/cases/").content.decode()
    assert "?assignee=me&amp;sort=due" in body
    assert "My cases" in body and "Unassigned" in body and "Overdue" in body


def test_it_shows_detector_and_person_text_as_text(client, investigator):
    make_case(title="<script>alert(1)</script>")
    body = client.get("/cases/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_queue_query_count_does_not_grow_with_rows(client, investigator, django_assert_num_queries):
    make_case(assignee=investigator)
    with django_assert_num_queries(QUEUE_QUERIES):
        client.get("/cases/?sort=due")
    for n in range(60):
        make_case(title=f"more {n}", assignee=investigator if n % 2 else None)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get("/cases/?sort=due&status=new")
    assert len(response.context["cases"]) == 50


# session, user, roles, page rows, count, the navigation's unread notifications
QUEUE_QUERIES = 6


def test_it_filters_by_account_indicator_detector_kind_and_evasion(client, investigator):
    from ingestion.models import Alert, Batch, Detector
    from tests.cases.factories import link, make_account, make_indicator

    a = make_case(title="A", is_possible_evasion=True)
    b = make_case(title="B")
    make_case(title="C")
    acct_a, acct_b = make_account("acct_a"), make_account("acct_b")
    link(a, acct_a)
    link(b, acct_b)
    make_indicator("asn", "AS64500", acct_a, acct_b)
    make_indicator("payment_fingerprint", "pf_1", acct_b)
    detector = Detector.objects.create(name="cot-classifier")
    batch = Batch.objects.create(detector=detector, raw_body=b"{}")
    for case, kind in ((a, "distillation.cot_elicitation"), (b, "infra.proxy_network")):
        Alert.objects.create(
            batch=batch,
            detector=detector,
            external_id=f"x{case.pk}",
            kind=kind,
            severity="high",
            observed_at=timezone.now(),
            payload={},
            case=case,
        )
    assert rows(client.get("/cases/?has_account=acct_a")) == ["A"]
    assert sorted(rows(client.get("/cases/?has_indicator=AS64500"))) == ["A", "B"]
    assert rows(client.get("/cases/?has_indicator=payment_fingerprint:pf_1")) == ["B"]
    assert sorted(rows(client.get("/cases/?detector=cot-classifier"))) == ["A", "B"]
    assert rows(client.get("/cases/?kind=distillation")) == ["A"]
    assert rows(client.get("/cases/?kind=infra.proxy_network")) == ["B"]
    assert rows(client.get("/cases/?evasion=true")) == ["A"]
