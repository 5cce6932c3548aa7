"""The propose form: the chosen kind's fields only, the expiry in the browser's zone,
and offered only where the case's status takes a proposal."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from enforcement.models import Action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


def url(case) -> str:
    return reverse("enforcement:propose", args=[case.pk])


def shown_fields(body: str) -> set[str]:
    """The names of the form's field blocks not hidden."""
    return {
        name
        for name, hidden in re.findall(
            r'<div class="field field-(\w+)" data-kinds="[^"]*"( hidden)?>', body
        )
        if not hidden
    }


def propose(client, case, **data):
    return client.post(url(case), {"rationale": "Shared device fingerprint.", **data})


def test_the_form_shows_only_the_fields_the_chosen_kind_uses(client, people):
    case, _ = make_case_with_accounts(2)
    client.force_login(people.investigator)
    body = client.get(url(case)).content.decode()
    assert shown_fields(body) == {"kind", "targets", "notice", "rationale", "expires_at"}
    assert "rate_limit only" not in body and "notify_partner only" not in body
    body = client.get(url(case) + "?kind=rate_limit").content.decode()
    assert "requests_per_minute" in shown_fields(body)
    body = client.get(url(case) + "?kind=notify_partner").content.decode()
    assert shown_fields(body) == {"kind", "targets", "summary", "rationale"}


def test_without_script_choosing_a_kind_shows_its_fields_and_proposes_nothing(client, people):
    case, _ = make_case_with_accounts(2)
    client.force_login(people.investigator)
    response = client.post(
        url(case), {"kind": "block_network", "notice": "typed first", "choose_kind": "1"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert shown_fields(body) == {"kind", "targets", "rationale", "expires_at"}
    assert "typed first" not in body
    assert 'name="choose_kind"' in body and "<noscript>" in body
    assert not Action.objects.exists()


def test_a_field_the_kind_does_not_use_is_named_in_the_error(client, people):
    case, _ = make_case_with_accounts(2)
    client.force_login(people.investigator)
    response = propose(client, case, kind="suspend_accounts", requests_per_minute="5")
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["requests_per_minute"] == [
        "Suspend accounts does not use this field; leave it empty."
    ]
    # Shown, although suspending does not use it, so the error is seen.
    assert "requests_per_minute" in shown_fields(response.content.decode())
    response = propose(client, case, kind="rate_limit")
    assert response.context["form"].errors["requests_per_minute"] == [
        "A rate limit needs requests per minute."
    ]
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("zone", "expected_hour"),
    [
        ({"tz_name": "Europe/Paris", "tz_offset": "-60"}, 11),
        ({"tz_offset": "300"}, 17),  # the offset alone, as a browser without zone names sends
        ({}, 12),  # no script: UTC, as the page says
    ],
)
def test_the_expiry_is_read_in_the_browsers_zone_and_stored_in_utc(
    client, people, zone, expected_hour
):
    case, _ = make_case_with_accounts(2)
    client.force_login(people.investigator)
    response = propose(client, case, kind="suspend_accounts", expires_at="2030-01-10T12:00", **zone)
    assert response.status_code == 302
    action = Action.objects.get()
    assert action.expires_at == datetime(2030, 1, 10, expected_hour, 0, tzinfo=UTC)


def test_the_page_names_the_zone_beside_the_expiry(client, people):
    case, _ = make_case_with_accounts(2)
    client.force_login(people.investigator)
    body = client.get(url(case)).content.decode()
    assert '<span class="zone" id="expires-zone">UTC</span>' in body
    assert 'type="datetime-local"' in body
    assert "propose-kind.js" in body


@pytest.mark.parametrize("status", ["new", "triage", "actioned", "closed"])
def test_proposing_is_offered_only_where_the_status_allows_and_the_pages_say_why(
    client, people, status
):
    case, _ = make_case_with_accounts(2)
    resolution = "benign" if status == "closed" else ""
    type(case).objects.filter(pk=case.pk).update(status=status, resolution=resolution)
    client.force_login(people.investigator)
    body = client.get(url(case)).content.decode()
    assert 'id="propose-refused"' in body
    assert "Actions are proposed on investigating or escalated cases" in body
    assert 'id="propose-form"' not in body
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="propose-action"' not in page
    assert 'id="propose-refused"' in page


def test_an_investigating_case_offers_the_proposal(client, people):
    case, _ = make_case_with_accounts(2)
    client.force_login(people.investigator)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="propose-action"' in page and 'id="propose-refused"' not in page
    assert 'id="propose-form"' in client.get(url(case)).content.decode()
