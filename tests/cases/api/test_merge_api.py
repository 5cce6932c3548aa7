"""Merging cases through the API: leads only, with a reason and a confirmation."""

import pytest

from audit.models import AuditEvent
from cases.models import Case
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


def test_a_lead_merges_related_cases_through_the_api(as_role):
    survivor, other = make_case(), make_case(tlp="red")
    survivor.related_cases.add(other)
    api = as_role("lead")
    response = api.post(
        f"/api/v1/cases/{survivor.pk}/merge/",
        {"cases": [other.pk], "reason": "same payment fingerprint", "confirm": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tlp"] == "red" and body["related_cases"] == []
    other.refresh_from_db()
    assert (other.status, other.resolution, other.merged_into_id) == (
        "closed",
        "duplicate",
        survivor.pk,
    )
    assert api.get(f"/api/v1/cases/{other.pk}/").json()["merged_into"] == survivor.pk


def test_merging_needs_a_lead_a_reason_and_a_confirmation(as_role):
    survivor, other = make_case(), make_case()
    url = f"/api/v1/cases/{survivor.pk}/merge/"
    body = {"cases": [other.pk], "reason": "same operator", "confirm": True}
    assert as_role("investigator").post(url, body, format="json").status_code == 403
    assert AuditEvent.objects.filter(verb="case.operation_refused").count() == 1
    lead = as_role("lead")
    assert lead.post(url, {**body, "confirm": False}, format="json").status_code == 400
    assert lead.post(url, {**body, "reason": ""}, format="json").status_code == 400
    assert lead.post(url, {**body, "cases": [999999]}, format="json").status_code == 404
    assert lead.post(url, {**body, "version": 99}, format="json").status_code == 409
    assert Case.objects.get(pk=other.pk).status == "new"
