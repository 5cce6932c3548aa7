"""One refusal convention: the workflow refuses (and audits), core answers it."""

import html

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from core.api import exception_handler
from core.refusals import Conflict, Forbidden, Invalid, NotFound, Refused, http_status
from tests.cases.factories import make_case


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (Forbidden("Only leads approve actions."), 403),
        (Conflict("This action is rejected, not awaiting approval."), 409),
        (Invalid("An override needs a reason.", field="reason"), 400),
        (NotFound("There is no action 7."), 404),
    ],
)
def test_the_api_answers_each_refusal_code_with_its_status_and_message(refusal, status):
    response = exception_handler(refusal, {})
    assert response.status_code == http_status(refusal) == status
    (error,) = response.data["errors"]
    assert error["message"] == str(refusal)
    assert error["field"] == (refusal.field if isinstance(refusal, Invalid) else None)


def test_every_refusal_is_a_refused_with_a_code():
    for kind in (Forbidden, Conflict, Invalid, NotFound):
        assert issubclass(kind, Refused)
        assert kind.code != Refused.code


@pytest.mark.django_db
def test_the_page_and_the_api_show_the_same_refusal_and_each_audits_it_once(client, make_user):
    case = make_case()
    manager = make_user("manager")
    client.force_login(manager)
    page = client.post(f"/cases/{case.pk}/notes/", {"body": "hi"})
    api = APIClient()
    api.force_login(manager)
    answer = api.post(f"/api/v1/cases/{case.pk}/notes/", {"body": "hi"}, format="json")

    assert (page.status_code, answer.status_code) == (403, 403)
    message = answer.json()["errors"][0]["message"]
    assert message.startswith("Adding a note on case #")
    assert message in html.unescape(page.content.decode())
    refusals = AuditEvent.objects.filter(verb="case.operation_refused")
    assert [(e.actor, e.case_ids, e.after) for e in refusals] == [
        (manager, [case.pk], {"operation": "add_note"})
    ] * 2
