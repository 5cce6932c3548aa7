"""The inbox in Chromium: the navigation's count, opening an entry's case, marking
read, and no serious axe-core violation on the inbox or the email choices."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from cases import workflow
from notifications.delivery import deliver_event
from tests.browser import axe
from tests.browser.test_accessibility import log_in
from tests.cases.factories import make_case


@pytest.fixture
def assigned(role_groups, make_user):
    ivy = make_user("investigator", username="ivy", email="ivy@example.org")
    lee = make_user("lead", username="lee")
    cases = [make_case(title=f"Proxy farm {i}", status="investigating") for i in range(2)]
    for case in cases:
        workflow.assign(case, ivy, actor=lee)
    for event in AuditEvent.objects.filter(verb="case.assigned"):
        deliver_event(event.pk)  # as the worker does (no worker runs here)
    return cases


def test_the_inbox_counts_links_and_marks_read(axe_page, assigned):
    log_in(axe_page, "ivy")
    axe_page.goto("/cases/")
    inbox = axe_page.get_by_role("link", name="Inbox 2 unread")
    expect(inbox).to_be_visible()
    found = [axe.report(axe_page)]
    inbox.click()
    expect(axe_page.locator("main h1")).to_have_text("Inbox")
    found.append(axe.report(axe_page))
    axe_page.get_by_role("button", name="Mark read").first.click()
    expect(axe_page.get_by_role("link", name="Inbox 1 unread")).to_be_visible()
    axe_page.get_by_role("link", name=f"Case #{assigned[0].pk} was assigned to you by lee.").click()
    expect(axe_page.locator("main h1")).to_contain_text("Proxy farm 0")
    axe_page.goto("/notifications/email/")
    found.append(axe.report(axe_page))
    assert not any(found), "\n".join(filter(None, found))
