"""Only the fields a form edits take part in its version check.

A colleague adding a note or evidence leaves an open status or severity form
valid; a change to the very fields the form edits is refused, naming who
changed what.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import workflow
from cases.models import Case
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivy(make_user):
    return make_user("investigator", username="ivy")


@pytest.fixture
def lee(make_user):
    return make_user("lead", username="lee")


def post(client, user, url, data):
    client.force_login(user)
    return client.post(url, data)


def test_a_note_added_after_loading_leaves_the_severity_form_valid(client, ivy, lee):
    case = make_case()
    loaded = case.version
    workflow.add_note(case.pk, "Same card on 40 accounts.", actor=lee)
    response = post(
        client, ivy, f"/cases/{case.pk}/severity/", {"severity": "high", "version": loaded}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.severity == "high"
    assert case.version == loaded + 2


def test_evidence_added_after_loading_leaves_the_status_form_valid(client, ivy, lee):
    case = make_case()
    loaded = case.version
    upload = SimpleUploadedFile("t.csv", b"ts,n\n1,2\n", content_type="text/csv")
    workflow.add_evidence_file(case.pk, upload, actor=lee, title="Traffic")
    response = post(
        client,
        ivy,
        f"/cases/{case.pk}/transition/",
        {"to_status": "investigating", "version": loaded},
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "investigating"


def test_a_severity_changed_by_someone_else_is_a_conflict_naming_who_and_what(client, ivy, lee):
    case = make_case()
    loaded = case.version
    workflow.add_note(case.pk, "Looking at it.", actor=ivy)
    workflow.set_severity(case.pk, "critical", actor=lee)
    response = post(
        client, ivy, f"/cases/{case.pk}/severity/", {"severity": "low", "version": loaded}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "its severity was changed by lee at" in body
    assert Case.objects.get(pk=case.pk).severity == "critical"


def test_a_severity_raised_by_the_import_is_a_conflict_naming_the_import(ivy):
    case = make_case(severity="low")
    loaded = case.version
    Case.objects.filter(pk=case.pk).update(version=loaded + 1)
    # As cases.intake.join_cases stamps a raised severity.
    Case.objects.filter(pk=case.pk).update(
        field_versions={"severity": {"version": loaded + 1, "by": None, "at": None}}
    )
    with pytest.raises(workflow.StaleCase, match="its severity was changed by the import"):
        workflow.set_severity(case.pk, "medium", actor=ivy, version=loaded)


def test_an_assignment_does_not_conflict_with_an_open_attribution_form(ivy, lee):
    case = make_case()
    loaded = case.version
    workflow.assign(case.pk, ivy, actor=lee)
    workflow.set_attribution(
        case.pk, suspected_actor="Lab X", confidence="low", rationale="", actor=ivy, version=loaded
    )
    with pytest.raises(workflow.StaleCase, match="its assignee was changed by lee"):
        workflow.assign(case.pk, None, actor=lee, version=loaded)
