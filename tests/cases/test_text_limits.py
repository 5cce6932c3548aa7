"""Text people write on a case is bounded: longer text is refused at its field,
in words naming it, on the page and in the API alike."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from cases import workflow
from cases.models import Case, Evidence, KnownSharedValue, Note
from core import text_limits as limits
from tests.cases.factories import link, make_account, make_case
from tests.core.text_limit_messages import too_long

pytestmark = pytest.mark.django_db


@pytest.fixture
def lee(make_user):
    return make_user("lead", username="lee")


@pytest.fixture
def case():
    case = make_case(title="Operator cluster A", status="investigating")
    link(case, make_account("acct-1"))
    return case


def form_html(response, form_id: str) -> str:
    return response.content.decode().split(f'id="{form_id}"')[1].split("</form>")[0]


# The case page.


def test_a_note_over_the_limit_is_refused_at_the_note_form(client, lee, case):
    client.force_login(lee)

    response = client.post(f"/cases/{case.pk}/notes/", {"body": "n" * (limits.NOTE + 1)})

    assert response.status_code == 400
    assert too_long("The note", 20_000, 20_001) in form_html(response, "note-form")
    assert not Note.objects.exists()


def test_a_note_at_the_limit_is_kept(client, lee, case):
    client.force_login(lee)

    response = client.post(f"/cases/{case.pk}/notes/", {"body": "n" * limits.NOTE})

    assert response.status_code == 302
    assert len(Note.objects.get().body) == 20_000


def test_the_note_form_says_how_long_a_note_may_be(client, lee, case):
    client.force_login(lee)
    form = form_html(client.get(f"/cases/{case.pk}/"), "note-form")
    assert "Markdown, at most 20,000 characters." in form
    # No maxlength: the browser would cut a pasted note short without a word.
    assert "maxlength" not in form


PAGE_FORMS = [
    (
        "severity/",
        {"severity": "high", "version": "1", "reason": "r" * 2001},
        "severity-form",
        "The reason",
        2000,
    ),
    (
        "attribution/",
        {"suspected_actor": "a" * 201, "confidence": "", "rationale": "", "version": "1"},
        "attribution-form",
        "The suspected actor",
        200,
    ),
    (
        "attribution/",
        {"suspected_actor": "", "confidence": "", "rationale": "r" * 10_001, "version": "1"},
        "attribution-form",
        "The rationale",
        10_000,
    ),
    (
        "tlp/",
        {"tlp": "green", "version": "1", "reason": "r" * 2001},
        "tlp-form",
        "The reason",
        2000,
    ),
    ("tags/", {"add": "t" * 2001}, "case-tags", "The list of tags to add", 2000),
    (
        "transition/",
        {"to_status": "escalated", "level": "policy", "version": "1", "reason": "r" * 2001},
        None,
        "The reason",
        2000,
    ),
    (
        "accounts/",
        {"external_id": "acct-1", "reason": "r" * 2001},
        "link-form",
        "The reason",
        2000,
    ),
]


@pytest.mark.parametrize(("path", "data", "form_id", "what", "limit"), PAGE_FORMS)
def test_a_case_form_refuses_text_over_its_limit_at_the_field(
    client, lee, case, path, data, form_id, what, limit
):
    client.force_login(lee)

    response = client.post(f"/cases/{case.pk}/{path}", data)

    assert response.status_code == 400
    shown = form_html(response, form_id) if form_id else response.content.decode()
    assert too_long(what, limit, limit + 1) in shown
    case.refresh_from_db()
    assert case.version == 1


def test_an_evidence_title_over_the_limit_is_refused_at_the_evidence_form(client, lee, case):
    client.force_login(lee)
    upload = SimpleUploadedFile("capture.txt", b"prompt and answer")

    response = client.post(
        f"/cases/{case.pk}/evidence/", {"file": upload, "title": "t" * 301, "reason": ""}
    )

    assert response.status_code == 400
    assert too_long("The title", 300, 301) in form_html(response, "evidence-form")
    assert not Evidence.objects.exists()


def test_a_known_shared_reason_over_the_limit_is_refused_on_its_page(client, lee):
    client.force_login(lee)

    response = client.post(
        "/cases/known-shared/add/",
        {"type": "payment_fingerprint", "value": "fp-1", "reason": "r" * 4001},
    )

    assert response.status_code == 400
    assert too_long("The reason", 4000, 4001) in response.content.decode()
    assert not KnownSharedValue.objects.exists()


# The API.


def api_errors(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    return {error["field"]: error["message"] for error in response.json()["errors"]}


API_INPUTS = [
    ("notes/", {"body": "n" * 20_001}, "body", "The note", 20_000),
    ("evidence/", {"title": "t" * 301, "content": "c"}, "title", "The title", 300),
    ("evidence/", {"title": "t", "content": "c" * 1_000_001}, "content", "The content", 1_000_000),
    (
        "evidence/",
        {"title": "t", "content": "c", "reason": "r" * 2001},
        "reason",
        "The reason",
        2000,
    ),
    ("assign/", {"assignee": "", "reason": "r" * 2001}, "reason", "The reason", 2000),
    ("severity/", {"severity": "high", "reason": "r" * 2001}, "reason", "The reason", 2000),
    ("tlp/", {"tlp": "green", "reason": "r" * 2001}, "reason", "The reason", 2000),
    (
        "transitions/",
        {"to_status": "escalated", "level": "policy", "reason": "r" * 2001},
        "reason",
        "The reason",
        2000,
    ),
    ("attribution/", {"actor": "a" * 201}, "actor", "The suspected actor", 200),
    (
        "attribution/",
        {"actor": "", "rationale": "r" * 10_001},
        "rationale",
        "The rationale",
        10_000,
    ),
    ("tags/", {"add": ["t" * 101]}, "add", "A tag", 100),
    ("accounts/", {"external_id": "acct-1", "reason": "r" * 2001}, "reason", "The reason", 2000),
    ("merge/", {"cases": [1], "reason": "r" * 2001, "confirm": True}, "reason", "The reason", 2000),
]


@pytest.mark.parametrize(("path", "body", "field", "what", "limit"), API_INPUTS)
def test_the_api_refuses_text_over_its_limit_naming_the_field(
    api, lee, case, path, body, field, what, limit
):
    api.force_authenticate(lee)

    response = api.post(f"/api/v1/cases/{case.pk}/{path}", body, format="json")

    assert api_errors(response) == {field: too_long(what, limit)}
    case.refresh_from_db()
    assert case.version == 1


def test_the_api_refuses_a_known_shared_reason_over_the_limit(api, lee):
    api.force_authenticate(lee)

    response = api.post(
        "/api/v1/known-shared/",
        {"type": "payment_fingerprint", "value": "fp-1", "reason": "r" * 4001},
        format="json",
    )

    assert api_errors(response) == {"reason": too_long("The reason", 4000)}
    assert not KnownSharedValue.objects.exists()


def test_the_api_refuses_a_protection_reason_over_the_limit(api, lee, case):
    api.force_authenticate(lee)
    account = case.account_links.get().account

    response = api.post(
        f"/api/v1/accounts/{account.pk}/protection/",
        {"protected": True, "reason": "r" * 2001},
        format="json",
    )

    assert api_errors(response) == {"reason": too_long("The reason", 2000)}
    account.refresh_from_db()
    assert not account.is_protected


# The workflow, whoever calls it.


WORKFLOW_CALLS = [
    (lambda c, who: workflow.add_note(c, "n" * 20_001, actor=who), "body", "The note", 20_000),
    (
        lambda c, who: workflow.assign(c, None, actor=who, reason="r" * 2001),
        "reason",
        "The reason",
        2000,
    ),
    (
        lambda c, who: workflow.transition(
            c, "escalated", actor=who, level="policy", reason="r" * 2001
        ),
        "reason",
        "The reason",
        2000,
    ),
    (
        lambda c, who: workflow.set_attribution(
            c, suspected_actor="", confidence="", rationale="r" * 10_001, actor=who
        ),
        "rationale",
        "The rationale",
        10_000,
    ),
    (
        lambda c, who: workflow.add_evidence_text(c, title="t", content="c" * 1_000_001, actor=who),
        "content",
        "The content",
        1_000_000,
    ),
]


@pytest.mark.parametrize(("call", "field", "what", "limit"), WORKFLOW_CALLS)
def test_the_workflow_refuses_text_over_its_limit_itself(lee, case, call, field, what, limit):
    with pytest.raises(ValidationError) as refused:
        call(case, lee)

    assert refused.value.message_dict == {field: [too_long(what, limit, limit + 1)]}
    assert Case.objects.get(pk=case.pk).version == 1
    assert (
        not AuditEvent.objects.filter(verb__startswith="case.")
        .exclude(verb="case.operation_refused")
        .exists()
    )


def test_text_written_before_the_limits_stays_readable(client, lee, case):
    # No database constraint: an older, longer note is shown as it was written.
    Note.objects.create(case=case, author=lee, body="old " * 10_000)
    client.force_login(lee)

    response = client.get(f"/cases/{case.pk}/")

    assert response.status_code == 200
    assert Note.objects.get().body == "old " * 10_000
