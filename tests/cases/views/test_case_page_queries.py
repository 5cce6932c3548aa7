"""The case page and each of its panels cost the same queries for five accounts or 5,000."""

import re
from html import unescape

import pytest

from cases import workflow
from cases.models import Case
from enforcement.workflow import propose_action
from tests.cases.bulk import fill_case
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db

# session, user, roles, case, the header's counts, review flags; a page of
# accounts and their accounts' rows, indicators, alerts, evidence, notes,
# related cases, audit events, actions (with their progress and the latest
# one's targets); the timeline's events, evidence and notes; suggested tags;
# the navigation's unread notifications
CASE_PAGE_QUERIES = 22
# session, user, roles, case, the headings' counts, then the panel's own rows
PANEL_QUERIES = {
    # the links, then their accounts by primary key
    "accounts": 7,
    "indicators": 6,
    "alerts": 6,
    "evidence": 6,
    "notes": 6,
    "related": 6,
    "audit": 6,
    # the actions, their progress, the latest one's targets (first page only)
    "actions": 8,
    # events, evidence and notes
    "timeline": 8,
}


@pytest.fixture
def cases(make_user):
    lead = make_user("lead", username="lee")
    small = fill_case(make_case(title="Small"), accounts=5, indicators=5, alerts=5)
    big = fill_case(make_case(title="Big"), accounts=5000, indicators=500, alerts=5000)
    for case in (small, big):
        for n in range(30):
            workflow.add_note(case.pk, f"note {n}", actor=lead)
        workflow.add_evidence_text(case.pk, title="sample", content="c", actor=lead)
        case.related_cases.add(make_case(title=f"sibling of {case.title}"))
        Case.objects.filter(pk=case.pk).update(status="investigating")
        target = ("account", f"c{case.pk}_000001")
        action = propose_action(case.pk, actor=lead, kind="suspend_accounts", targets=[target])
        # Eleven more like it, enough for a second page of the actions panel.
        for _ in range(11):
            action.pk = None
            action.save()
    return small, big


def next_link(body: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next"', body)
    return unescape(found.group(1)) if found else None


def test_the_case_page_costs_the_same_for_5_and_5000_accounts(
    client, make_user, cases, django_assert_num_queries
):
    client.force_login(make_user("investigator"))
    for case in cases:
        with django_assert_num_queries(CASE_PAGE_QUERIES):
            response = client.get(f"/cases/{case.pk}/")
        assert response.status_code == 200


@pytest.mark.parametrize("panel", list(PANEL_QUERIES))
def test_each_panel_costs_the_same_for_5_and_5000_accounts_and_on_a_deep_page(
    client, make_user, cases, panel, django_assert_num_queries
):
    client.force_login(make_user("investigator"))
    small, big = cases
    for case in (small, big):
        with django_assert_num_queries(PANEL_QUERIES[panel]):
            response = client.get(f"/cases/{case.pk}/panels/{panel}/")
        assert response.status_code == 200
    deeper = next_link(response.content.decode())
    if panel in ("accounts", "indicators", "alerts", "timeline"):
        assert deeper is not None
    if deeper:
        with django_assert_num_queries(PANEL_QUERIES[panel] - (panel == "actions")):
            assert client.get(deeper).status_code == 200


def test_the_header_counts_what_the_case_holds_without_counting_it_all(client, make_user, cases):
    client.force_login(make_user("investigator"))
    _, big = cases
    body = client.get(f"/cases/{big.pk}/").content.decode()
    counts = body.split('id="case-counts"')[1].split("</ul>")[0]
    for text in ("5,000 accounts", "500 indicators", "5,000 alerts", "30 notes", "12 actions"):
        assert text in counts
