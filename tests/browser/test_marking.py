"""In Chromium: a lead protects an account and marks the case TLP:RED, after which
an investigator who is not its assignee finds it "not found"; the propose form
shows only the chosen kind's fields and names the browser's time zone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from cases.models import Account, Case, CaseAccount

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def cast(role_groups, make_user):
    return {
        "ivy": make_user("investigator", username="ivy"),
        "otto": make_user("investigator", username="otto"),
        "lee": make_user("lead", username="lee"),
    }


@pytest.fixture
def case(cast):
    case = Case.objects.create(
        title="Reseller traffic through a partner's proxies",
        status="investigating",
        assignee=cast["otto"],
        account_count=1,
    )
    partner = Account.objects.create(external_id="acct_partner_lab")
    CaseAccount.objects.create(
        case=case, account=partner, reason="shares payment fingerprint", linked_by_detector="d1"
    )
    return case


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_a_lead_protects_an_account_and_restricts_the_case(page: Page, cast, case, artifacts):
    # Before the lead restricts it, the investigator reads the case.
    log_in(page, "ivy")
    assert page.goto(f"/cases/{case.pk}/").status == 200
    log_out(page)

    log_in(page, "lee")
    page.goto(f"/cases/{case.pk}/")
    accounts = page.locator("#account-selection")
    accounts.get_by_label("Select acct_partner_lab").check()
    accounts.get_by_label("Reason").fill("Research programme partner")
    accounts.get_by_role("button", name="Protect selected").click()
    expect(page.get_by_text("Account acct_partner_lab is protected")).to_be_visible()
    row = page.locator("tr.account-row", has_text="acct_partner_lab")
    expect(row.locator(".badge.protected")).to_be_visible()
    expect(row).to_contain_text("Research programme partner")

    marking = page.locator("#tlp-form")
    warning = marking.locator("#tlp-red-sight")
    expect(warning).to_have_text(
        "Investigators, policy, legal and executives who are not the assignee "
        "will no longer see this case."
    )
    marking.get_by_label("TLP:RED").check()
    marking.get_by_label("Reason").fill("Partner named in the evidence")
    page.screenshot(path=artifacts / "marking-before-red.png", full_page=True)
    marking.get_by_role("button", name="Set TLP").click()
    expect(page.get_by_text(f"Case #{case.pk} is TLP:RED now.")).to_be_visible()
    expect(page.locator(".case-header .tlp-red")).to_have_text("TLP:RED")
    log_out(page)

    assert list(
        AuditEvent.objects.filter(verb__in=["account.protected", "case.tlp_changed"])
        .order_by("sequence")
        .values_list("verb", "actor__username", "reason")
    ) == [
        ("account.protected", "lee", "Research programme partner"),
        ("case.tlp_changed", "lee", "Partner named in the evidence"),
    ]

    # Ivy is not the assignee: the case is not found, on its page and in the queue.
    log_in(page, "ivy")
    response = page.goto(f"/cases/{case.pk}/")
    assert response.status == 404
    expect(page.locator("main")).to_contain_text(re.compile("not found", re.IGNORECASE))
    page.goto("/cases/")
    expect(page.locator(f'tr.case-row[data-case="{case.pk}"]')).to_have_count(0)
    page.screenshot(path=artifacts / "marking-red-not-found.png", full_page=True)
    log_out(page)

    # The assignee still works it.
    log_in(page, "otto")
    assert page.goto(f"/cases/{case.pk}/").status == 200


def test_the_propose_form_follows_the_kind_and_names_the_browsers_zone(
    browser, live_server, cast, case, artifacts
):
    case.assignee = cast["ivy"]
    case.save(update_fields=["assignee"])
    context = browser.new_context(base_url=live_server.url, timezone_id="Europe/Paris")
    page = context.new_page()
    try:
        log_in(page, "ivy")
        page.goto(f"/actions/propose/{case.pk}/")
        form = page.locator("#propose-form")
        expect(form.get_by_label("Requests per minute")).to_be_hidden()
        expect(form.get_by_label("Notice")).to_be_visible()
        expect(form.locator("#expires-zone")).to_contain_text("Europe/Paris")
        form.get_by_label("Kind").select_option("rate_limit")
        expect(form.get_by_label("Requests per minute")).to_be_visible()
        form.get_by_label("Kind").select_option("notify_partner")
        expect(form.get_by_label("Summary")).to_be_visible()
        expect(form.get_by_label("Notice")).to_be_hidden()
        expect(form.get_by_label("Expires at")).to_be_hidden()
        expect(page.get_by_text("rate_limit only")).to_have_count(0)
        form.get_by_label("Kind").select_option("suspend_accounts")
        form.get_by_label("Rationale").fill("Shared payment fingerprint.")
        form.get_by_label("Expires at").fill("2030-07-01T12:00")
        page.screenshot(path=artifacts / "propose-form.png", full_page=True)
        form.get_by_role("button", name="Propose", exact=True).click()
        expect(page.locator("#action-state")).to_have_text("Proposed")
        action = case.actions.get()
        # Noon in Paris in summer is ten o'clock UTC.
        assert action.expires_at.isoformat() == "2030-07-01T10:00:00+00:00"
    finally:
        context.close()
