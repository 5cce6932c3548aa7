""" "Escalated to me": who sees which escalations, with why, by whom and since when."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import workflow
from cases.models import Case
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


def escalated(n: int, level: str, **fields) -> list[Case]:
    now = timezone.now()
    return [
        make_case(
            title=f"{level} {i}",
            status="escalated",
            escalation_level=level,
            escalated_at=now - timedelta(minutes=n - i),
            **fields,
        )
        for i in range(n)
    ]


def listed(body: str) -> list[str]:
    return [row.split('"')[0] for row in body.split('<tr class="case-row" data-case="')[1:]]


def test_legal_sees_what_was_escalated_to_legal_with_why_by_whom_and_since(client, make_user):
    ivy, legal = make_user("investigator", username="ivy"), make_user("legal")
    case = make_case(title="Reasoning harvest", status="investigating")
    workflow.escalate(case.pk, "legal", actor=ivy, reason="Contract terms with the reseller")
    (to_policy,) = escalated(1, "policy")
    client.force_login(legal)

    body = client.get("/cases/escalated/").content.decode()

    assert listed(body) == [str(case.pk)]
    row = body.split(f'data-case="{case.pk}"')[1].split("</tr>")[0]
    assert "Reasoning harvest" in row
    assert "<td>ivy</td>" in row
    assert "Contract terms with the reseller" in row
    assert "UTC" in row
    assert str(to_policy.pk) not in listed(body)
    assert '<span class="count">1<span class="visually-hidden"> waiting' in body


def test_a_lead_sees_every_level_and_an_investigator_is_refused(client, make_user):
    cases = escalated(1, "policy") + escalated(1, "legal") + escalated(1, "executive")
    make_case(status="investigating")
    client.force_login(make_user("lead"))
    body = client.get("/cases/escalated/").content.decode()
    assert listed(body) == [str(c.pk) for c in cases]  # longest waiting first
    assert "you are a lead" in body

    client.force_login(make_user("investigator"))
    assert client.get("/cases/escalated/").status_code == 403


def test_a_restricted_case_is_listed_only_for_those_who_may_see_it(client, make_user):
    (red,) = escalated(1, "legal", tlp="red")
    client.force_login(make_user("legal"))
    assert listed(client.get("/cases/escalated/").content.decode()) == [str(red.pk)]
    client.force_login(make_user("policy"))
    assert listed(client.get("/cases/escalated/").content.decode()) == []


def test_the_list_is_keyset_paginated_in_the_same_queries_at_any_size(client, make_user):
    client.force_login(make_user("executive"))
    counts = []
    for size in (3, 60):
        Case.objects.all().delete()
        escalated(size, "executive")
        for _ in range(3):
            workflow.escalate(
                make_case(status="investigating"), "executive", actor=make_user("lead"), reason="r"
            )
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/cases/escalated/").content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1]
    first = listed(body)
    assert len(first) == 50
    next_link = body.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = listed(client.get(f"/cases/escalated/{next_link}").content.decode())
    assert len(second) == 13
    assert not set(first) & set(second)
    assert Case.objects.filter(status="escalated").count() == 63


def test_a_bad_page_link_says_so_and_shows_the_first_page(client, make_user):
    escalated(2, "policy")
    client.force_login(make_user("policy"))
    body = client.get("/cases/escalated/?cursor=nonsense").content.decode()
    assert "That page link is no longer valid" in body
    assert len(listed(body)) == 2


def test_the_api_lists_the_same_with_who_and_why(client, make_user):
    lead = make_user("lead", username="lee")
    case = make_case(status="investigating")
    workflow.escalate(case.pk, "policy", actor=lead, reason="Terms of service question")
    escalated(3, "legal")
    client.force_login(make_user("policy"))

    answer = client.get("/api/v1/cases/escalated/").json()

    (only,) = answer["results"]
    assert (only["id"], only["escalation_level"]) == (case.pk, "policy")
    assert (only["escalated_by"], only["escalation_reason"]) == ("lee", "Terms of service question")

    client.force_login(lead)
    page = client.get("/api/v1/cases/escalated/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 2 and rest["next"] is None
    assert client.get("/api/v1/cases/escalated/?cursor=bad").status_code == 400
