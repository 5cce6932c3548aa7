"""In Chromium: a failed form shows its error where the person is looking, and a
per-target revert asks for confirmation and a reason before anything is undone."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from cases.models import Account, Case, CaseAccount
from enforcement import workflow
from enforcement.execution import run_action
from enforcement.models import TargetState
from people.roles import Role
from tests.browser.axe import report

PASSWORD = "a-long-test-passphrase-1"


@pytest.fixture
def people(role_groups, django_user_model):
    made = {}
    for username, role in (("ivy", Role.INVESTIGATOR), ("lee", Role.LEAD), ("lou", Role.LEAD)):
        user = django_user_model.objects.create_user(username=username, password=PASSWORD)
        user.groups.add(Group.objects.get(name=str(role)))
        made[username] = user
    return made


@pytest.fixture
def case(people) -> Case:
    """A case long enough that its lower forms start below the fold."""
    case = Case.objects.create(title="Distillation via residential proxies", status="investigating")
    accounts = Account.objects.bulk_create(
        [Account(external_id=f"acct_{i:03d}") for i in range(30)]
    )
    CaseAccount.objects.bulk_create(
        [
            CaseAccount(case=case, account=a, reason="shared device", linked_by_detector="d1")
            for a in accounts
        ]
    )
    Case.objects.filter(pk=case.pk).update(account_count=len(accounts))
    return case


def login(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_a_failed_account_link_shows_its_error_in_view(page, people, case, artifacts):
    login(page, "ivy")
    page.goto(f"/cases/{case.pk}/")
    assert not in_viewport(page, "#link-form")  # far below the fold at first
    page.locator("#link_external_id").fill("acct_nobody")
    page.locator("#link_reason").fill("Same proxy range during the burst")
    page.locator("#link-form").get_by_role("button", name="Link account").click()
    page.wait_for_load_state()

    error = page.locator("#link-form .field-error")
    expect(error).to_have_text("No platform account has this id.")
    assert in_viewport(page, "#link-form .field-error")
    assert page.url.endswith("#link-form")
    expect(page.locator("#link_external_id")).to_have_value("acct_nobody")
    page.screenshot(path=artifacts / "failed-link-error-in-view.png")


def test_a_per_target_revert_asks_for_confirmation_and_a_reason(
    page, people, case, settings, artifacts
):
    settings.ENFORCEMENT_BACKEND = "log"
    action = workflow.propose_action(case.pk, actor=people["ivy"], kind="suspend_accounts")
    workflow.approve_action(action.pk, actor=people["lee"])
    run_action(action.pk)
    target = action.targets.get(value="acct_005")

    login(page, "lou")
    page.goto(f"/cases/{case.pk}/")
    row = page.locator("#actions tr[data-value='acct_005']")
    expect(row.locator(".target-state")).to_have_text("Executed")
    row.get_by_role("link", name="Revert acct_005…").click()

    # A page of its own says what will happen; nothing is undone yet.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Revert acct_005 in action #{action.pk} (suspend accounts)?"
    )
    expect(page.locator("#confirm-step")).to_contain_text("every other target stays as it is")
    reason = page.get_by_label("Why acct_005 is reverted")
    button = page.get_by_role("button", name="Revert acct_005")
    assert "danger" in button.get_attribute("class")
    button.click()  # without a reason the browser keeps the page
    assert reason.evaluate("field => field.validity.valueMissing")
    expect(page).to_have_url(re.compile(rf"/actions/{action.pk}/targets/{target.pk}/revert/"))
    target.refresh_from_db()
    assert target.state == TargetState.EXECUTED
    page.screenshot(path=artifacts / "revert-one-confirmation.png")

    reason.fill("Customer appeal upheld")
    button.click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/#actions$"))
    message = page.locator(".messages li.success")
    expect(message).to_have_text(
        "Revert of acct_005 requested: Dossier asks the platform to undo it; "
        "the other targets stay as they are."
    )
    assert in_viewport(page, ".messages li.success")
    page.screenshot(path=artifacts / "revert-one-requested.png")

    run_action(action.pk)  # the worker's part, through the log backend
    page.reload()
    expect(page.locator("#actions tr[data-value='acct_005'] .target-state")).to_have_text(
        "Reverted"
    )
    expect(page.locator("#actions tr[data-value='acct_006'] .target-state")).to_have_text(
        "Executed"
    )
    expect(page.locator("#timeline")).to_contain_text("acct_005")
    expect(page.locator("#timeline")).to_contain_text("Customer appeal upheld")
    expect(page.locator("#audit")).to_contain_text("acct_005")


def test_axe_finds_no_serious_violation_on_a_confirmation_or_an_error_page(
    axe_page, people, case, settings
):
    settings.ENFORCEMENT_BACKEND = "log"
    action = workflow.propose_action(case.pk, actor=people["ivy"], kind="suspend_accounts")
    workflow.approve_action(action.pk, actor=people["lee"])
    run_action(action.pk)
    target = action.targets.get(value="acct_005")
    login(axe_page, "lou")
    for url in (
        f"/actions/{action.pk}/targets/{target.pk}/revert/",
        f"/actions/{action.pk}/revert/",
        "/cases/987654/",
    ):
        axe_page.goto(url)
        assert report(axe_page) == ""
