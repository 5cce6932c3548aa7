"""An escalation in Chromium: an investigator escalates to legal with a reason;
legal finds it through the navigation, comments and hands it back with a
reason; the investigator reads the hand-back in their inbox. axe-core finds no
serious violation on the pages on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from notifications.delivery import deliver_event
from tests.browser import axe
from tests.browser.test_accessibility import log_in
from tests.cases.factories import make_case


def deliver(verb: str) -> None:
    """Deliver the newest ``verb`` event as the worker does (no worker runs here)."""
    deliver_event(AuditEvent.objects.filter(verb=verb).order_by("-sequence").first().pk)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


@pytest.fixture
def escalation_case(role_groups, make_user):
    ivy = make_user("investigator", username="ivy")
    make_user("legal", username="leg")
    return make_case(title="Reasoning harvest via resellers", status="investigating", assignee=ivy)


def test_legal_answers_an_escalation_and_the_investigator_reads_the_hand_back(
    axe_page, escalation_case
):
    page, case, found = axe_page, escalation_case, []
    log_in(page, "ivy")
    page.goto(f"/cases/{case.pk}/")
    escalate = page.locator('form.transition[data-to="escalated"]')
    escalate.get_by_label("Level").select_option("legal")
    escalate.get_by_label("Reason").fill("Terms of the reseller contract")
    escalate.get_by_role("button", name="Move to escalated").click()
    expect(page.get_by_text("Case escalated to Legal")).to_be_visible()
    deliver("case.escalated")
    log_out(page)

    log_in(page, "leg")
    page.goto("/cases/")
    expect(page.get_by_role("link", name="Inbox 1 unread")).to_be_visible()
    page.get_by_role("link", name="Escalated to me 1 waiting").click()
    expect(page.locator("main h1")).to_have_text("Escalated to me")
    row = page.locator(f'tr[data-case="{case.pk}"]')
    expect(row).to_contain_text("Terms of the reseller contract")
    expect(row).to_contain_text("ivy")
    found.append(axe.report(page))
    row.get_by_role("link", name="Reasoning harvest via resellers").click()

    page.get_by_label("Add a note").fill("Counsel reviewed the contract: no exposure.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Counsel reviewed the contract: no exposure.").first).to_be_visible()
    hand_back = page.locator('form.transition[data-to="investigating"]')
    hand_back.get_by_label("Reason").fill("Cleared by legal")
    hand_back.get_by_role("button", name="Hand back").click()
    expect(page.get_by_text("Case handed back")).to_be_visible()
    found.append(axe.report(page))
    deliver("case.handed_back")
    log_out(page)

    log_in(page, "ivy")
    page.goto("/cases/")
    page.get_by_role("link", name="Inbox 1 unread").click()
    expect(page.locator("main")).to_contain_text(f"Case #{case.pk} was handed back by leg")
    expect(page.locator("main")).to_contain_text("Cleared by legal")
    found.append(axe.report(page))
    assert not any(found), "\n".join(filter(None, found))
