"""The related-cases panel offers a lead the merge."""

import pytest

from cases import workflow
from cases.models import Case
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


def test_the_related_panel_offers_a_lead_the_merge(client, make_user):
    survivor, other = make_case(title="Operator A"), make_case(title="Operator A again")
    survivor.related_cases.add(other)
    client.force_login(make_user("investigator"))
    assert f'id="merge-{other.pk}"' not in client.get(f"/cases/{survivor.pk}/").content.decode()

    client.force_login(make_user("lead"))
    assert f'id="merge-{other.pk}"' in client.get(f"/cases/{survivor.pk}/").content.decode()
    url = f"/cases/{survivor.pk}/merge/"
    unconfirmed = {"version": survivor.version, "other": other.pk, "reason": "same card"}
    assert client.post(url, unconfirmed).status_code == 400
    response = client.post(url, {**unconfirmed, "confirm": "on"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.status, other.merged_into_id) == ("closed", survivor.pk)
    body = client.get(f"/cases/{other.pk}/").content.decode()
    assert "Merged into" in body and f"/cases/{survivor.pk}/" in body


def test_an_investigator_posting_a_merge_is_refused(client, make_user):
    survivor, other = make_case(), make_case()
    client.force_login(make_user("investigator"))
    response = client.post(
        f"/cases/{survivor.pk}/merge/",
        {"version": survivor.version, "other": other.pk, "reason": "x", "confirm": "on"},
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=other.pk).status == "new"


@pytest.mark.parametrize(
    ("status", "offered"),
    [("new", True), ("investigating", True), ("pending_action", False), ("actioned", False)],
)
def test_the_merge_is_offered_only_for_cases_the_workflow_would_merge(
    client, make_user, status, offered
):
    survivor, other = make_case(title="Operator A"), make_case(title="Operator A again")
    Case.objects.filter(pk=other.pk).update(status=status)
    survivor.related_cases.add(other)
    client.force_login(make_user("lead"))

    page = client.get(f"/cases/{survivor.pk}/").content.decode()
    assert (f'id="merge-{other.pk}"' in page) is offered
    response = client.post(
        f"/cases/{survivor.pk}/merge/",
        {"version": survivor.version, "other": other.pk, "reason": "same card", "confirm": "on"},
        follow=True,
    )
    other.refresh_from_db()
    assert (other.merged_into_id == survivor.pk) is offered
    refusal = "only open cases without enforcement actions under way are merged"
    assert (refusal in response.content.decode()) is not offered


def test_the_survivors_trail_panels_show_what_happened_on_the_merged_case(client, make_user):
    survivor, other = make_case(title="Operator A"), make_case(title="Operator A again")
    survivor.related_cases.add(other)
    lead = make_user("lead", username="lee")
    workflow.add_note(other, "card seen on both", actor=lead)
    workflow.set_severity(other, "high", actor=lead, reason="payment fraud")
    client.force_login(lead)
    response = client.post(
        f"/cases/{survivor.pk}/merge/",
        {"version": survivor.version, "other": other.pk, "reason": "same card", "confirm": "on"},
    )
    assert response.status_code == 302

    audit = client.get(f"/cases/{survivor.pk}/panels/audit/").content.decode()
    assert "case.severity_changed" in audit and "payment fraud" in audit
    assert "case.merged_into" in audit and "case.merged" in audit
    timeline = client.get(f"/cases/{survivor.pk}/panels/timeline/?show=people").content.decode()
    assert "Severity medium → high" in timeline
