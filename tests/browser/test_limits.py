"""Limits in Chromium: a file over the evidence limit is refused before it is sent,
and a note over its limit is refused at the note form."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from cases.models import Evidence, Note
from people.roles import Role
from tests.cases.factories import make_case

PASSWORD = "a-long-test-passphrase-1"


@pytest.fixture
def ivy(role_groups, django_user_model):
    user = django_user_model.objects.create_user(username="ivy", password=PASSWORD)
    user.groups.add(Group.objects.get(name=str(Role.INVESTIGATOR)))
    return user


def open_case(page, case) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("ivy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.goto(f"/cases/{case.pk}/")


def test_a_file_over_the_evidence_limit_is_refused_before_it_is_sent(
    page, ivy, settings, artifacts
):
    settings.EVIDENCE_MAX_BYTES = 1024
    case = make_case(title="Operator cluster A", status="investigating")
    open_case(page, case)
    form = page.locator("#evidence-form")
    expect(form.locator("#evidence_file_hint")).to_have_text("At most 1.0\xa0KB (1,024 bytes).")

    form.locator("input[type=file]").set_input_files(
        files=[
            {"name": "capture.bin", "mimeType": "application/octet-stream", "buffer": b"x" * 2048}
        ]
    )
    form.get_by_role("button", name="Upload").click()

    told = form.locator("input[type=file]").evaluate("input => input.validationMessage")
    assert told == "This file is 2,048 bytes, too large. At most 1.0\xa0KB (1,024 bytes)."
    page.screenshot(path=artifacts / "evidence-file-too-large.png")
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert not Evidence.objects.exists()

    form.locator("input[type=file]").set_input_files(
        files=[
            {"name": "capture.bin", "mimeType": "application/octet-stream", "buffer": b"x" * 512}
        ]
    )
    form.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    expect(page.locator("#evidence")).to_contain_text("capture.bin")
    assert Evidence.objects.get().size == 512


def test_a_note_over_its_limit_is_refused_at_the_note_form(page, ivy, artifacts):
    case = make_case(title="Operator cluster A", status="investigating")
    open_case(page, case)

    page.locator("#note-form textarea").fill("n" * 20_001)
    page.locator("#note-form").get_by_role("button", name="Add note").click()
    page.wait_for_load_state()

    expect(page.locator("#note-form .field-error")).to_have_text(
        "The note is too long: 20,001 characters, at most 20,000 characters."
    )
    page.screenshot(path=artifacts / "note-too-long.png")
    assert not Note.objects.exists()
