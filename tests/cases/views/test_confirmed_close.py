"""Closing an escalated case takes it from the people it was escalated to:
the form asks for a reason and a confirmation, and the workflow requires the reason."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError

from cases import workflow
from cases.models import CaseStatus
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalated():
    return make_case(status="escalated", escalation_level="legal")


def close(client, case, **data):
    fields = {"to_status": "closed", "resolution": "benign", "version": case.version, **data}
    return client.post(f"/cases/{case.pk}/transition/", fields)


def test_the_close_form_of_an_escalated_case_asks_for_a_reason_and_a_confirmation(
    client, make_user, escalated
):
    client.force_login(make_user("lead"))
    body = client.get(f"/cases/{escalated.pk}/").content.decode()
    form = body[body.index('data-to="closed"') :].split("</form>")[0]
    assert 'name="reason" maxlength="2000" required' in form
    assert 'name="confirm" required> Close although it is escalated to Legal' in form
    assert 'class="danger"' in form


def test_closing_an_escalated_case_unconfirmed_is_refused_at_the_form(client, make_user, escalated):
    client.force_login(make_user("lead"))
    response = close(client, escalated, reason="Benign after review")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Confirm closing: the case is escalated to Legal" in body
    escalated.refresh_from_db()
    assert escalated.status == CaseStatus.ESCALATED


def test_closing_an_escalated_case_without_a_reason_is_refused(client, make_user, escalated):
    lead = make_user("lead")
    with pytest.raises(ValidationError) as refused:
        workflow.transition(escalated, "closed", actor=lead, resolution="benign", reason=" ")
    assert "Closing an escalated case needs a reason." in refused.value.message_dict["reason"]
    client.force_login(lead)
    response = close(client, escalated, confirm="on")
    assert response.status_code == 400
    assert "Closing an escalated case needs a reason." in response.content.decode()


def test_a_confirmed_close_says_what_happened_and_what_comes_next(client, make_user, escalated):
    client.force_login(make_user("lead"))
    response = close(client, escalated, confirm="on", reason="Benign after legal review")
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Case closed as benign; a lead can reopen it."
    ]
    escalated.refresh_from_db()
    assert escalated.status == CaseStatus.CLOSED


def test_a_case_not_escalated_closes_without_a_confirmation(client, make_user):
    case = make_case(status="investigating")
    client.force_login(make_user("lead"))
    assert close(client, case).status_code == 302
