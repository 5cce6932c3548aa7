"""The event webhooks' admin pages in Chromium: an administrator registers a
receiver on 127.0.0.1 and copies the secret shown once; an escalation then
reaches that receiver signed with it, and the deliveries page shows it
delivered (docs/webhooks.md)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cases import workflow
from tests.browser.test_accessibility import log_in
from tests.cases.factories import make_case
from tests.webhooks.conftest import queue, receiver  # noqa: F401 - shared fixtures
from webhooks.models import WebhookEndpoint


@pytest.fixture
def people(role_groups, make_user):
    make_user("administrator", username="ada")
    return make_user("investigator", username="ivy")


def test_a_registered_receiver_gets_escalations_signed_with_the_secret_shown_once(
    page,
    people,
    receiver,  # noqa: F811
    queue,  # noqa: F811
):
    log_in(page, "ada")
    page.goto("/admin/webhooks/webhookendpoint/add/")
    page.get_by_label("Name").fill("Legal pager")
    page.get_by_label("Url").fill(receiver.url("/legal"))
    page.get_by_label("case.escalated", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    secret = page.locator("#webhook-secret").inner_text()
    assert len(secret) >= 32
    page.get_by_role("link", name="Back to the endpoints").click()
    page.get_by_role("link", name="Legal pager").click()
    expect(page.locator("body")).not_to_contain_text(secret)

    case = make_case(title="Proxy farm", status="investigating")
    workflow.escalate(case, "legal", actor=people, reason="Counsel must see it")
    queue.run()
    (call,) = receiver.requests
    assert call.path == "/legal" and call.verifies_with(secret)
    assert call.json["verb"] == "case.escalated"

    page.goto("/admin/webhooks/webhookdelivery/")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("Legal pager")
    expect(row).to_contain_text("case.escalated")
    expect(row).to_contain_text("204")
    assert WebhookEndpoint.objects.get().deliveries.get().state == "delivered"
