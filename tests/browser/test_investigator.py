"""An investigator works a simulated case in Chromium; a manager can only read it."""

from __future__ import annotations

import re

import pytest
import requests
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case
from ingestion import simulator
from ingestion.importing.run import import_batch_now
from ingestion.models import Detector, DetectorToken
from people.roles import Role

PASSWORD = "a-long-test-passphrase-1"


@pytest.fixture
def people(role_groups, django_user_model):
    made = {}
    for username, role in (("ivy", Role.INVESTIGATOR), ("max", Role.MANAGER)):
        user = django_user_model.objects.create_user(username=username, password=PASSWORD)
        user.groups.add(Group.objects.get(name=str(role)))
        made[username] = user
    return made


def simulate(base_url: str) -> simulator.Scenario:
    """Post the simulator's scenario through the alerts API, then import each batch."""
    detector = Detector.objects.create(name="sim-detector", rate_per_minute=0)
    _, token = DetectorToken.issue(detector)
    scenario = simulator.scenario(seed=11, operators=2, now=timezone.now())
    for chunk in simulator.batches(scenario.alerts, 50):
        response = requests.post(
            f"{base_url}/api/v1/alerts/",
            json={"alerts": chunk},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 202, response.text
        import_batch_now(response.json()["batch"])
    return scenario


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def timeline(page: Page):
    return page.locator("#timeline")


def test_an_investigator_works_a_simulated_case_and_a_manager_only_reads_it(
    django_db_setup, page, browser, live_server, people, artifacts
):
    # django_db_setup comes first: the test database must exist before the
    # browser's event loop starts in this thread.
    scenario = simulate(live_server.url)
    assert Case.objects.count() >= 2

    log_in(page, "ivy")
    page.goto("/cases/")
    # Filter the queue: critical distillation cases, as a shareable URL.
    page.get_by_role("group", name="Severity").get_by_label("Critical").check()
    page.locator("#id_kind").fill("distillation")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert "severity=critical" in page.url and "kind=distillation" in page.url
    rows = page.locator("tr.case-row")
    expect(rows.first).to_be_visible()
    assert rows.count() == Case.objects.filter(severity="critical").count()
    page.screenshot(path=artifacts / "investigator-queue.png", full_page=True)

    rows.first.locator("td.title").get_by_role("link").click()
    page.wait_for_load_state()
    case_id = int(re.search(r"/cases/(\d+)/", page.url).group(1))
    case = Case.objects.get(pk=case_id)
    expect(page.locator("h1")).to_contain_text(case.title)
    expect(page.locator("#alerts")).to_contain_text("distillation.")  # the imported alerts
    expect(timeline(page)).to_contain_text(
        re.compile(r"Batch \S+ added \d+ alerts and \d+ accounts")
    )

    page.get_by_role("button", name="Assign to me").click()
    page.wait_for_load_state()
    expect(page.locator("#case-assignee")).to_have_text("ivy")
    expect(timeline(page)).to_contain_text("Assigned to ivy")

    page.locator("#note-form textarea").fill("Same **templated** prompts as last week.")
    page.locator("#note-form").get_by_role("button", name="Add note").click()
    page.wait_for_load_state()
    expect(timeline(page).locator("strong", has_text="templated")).to_be_visible()

    page.locator("#evidence-form input[type=file]").set_input_files(
        files=[{"name": "proxy-log.txt", "mimeType": "text/plain", "buffer": b"203.0.113.7\n"}]
    )
    page.locator("#evidence-form input[name=title]").fill("Proxy log excerpt")
    page.locator("#evidence-form").get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    stored = case.evidence.get(title="Proxy log excerpt")
    expect(page.locator("#evidence")).to_contain_text(stored.sha256)
    expect(timeline(page)).to_contain_text("Evidence added: Proxy log excerpt")

    page.locator("#link_external_id").fill(scenario.benign_account)
    page.locator("#link_reason").fill("Same proxy range during the burst")
    page.locator("#link-form").get_by_role("button", name="Link account").click()
    page.wait_for_load_state()
    expect(page.locator("#accounts")).to_contain_text("Same proxy range during the burst")
    expect(timeline(page)).to_contain_text(f"Account {scenario.benign_account} linked")

    page.locator("form.transition[data-to=investigating] input[name=reason]").fill("Clear pattern")
    page.get_by_role("button", name="Move to investigating").click()
    page.wait_for_load_state()
    expect(page.locator("#case-status")).to_contain_text("Investigating")
    expect(timeline(page)).to_contain_text("→ investigating")
    expect(timeline(page)).to_contain_text("Clear pattern")
    page.screenshot(path=artifacts / "investigator-case.png", full_page=True)

    # A manager opens the same case and finds nothing that changes it.
    manager = browser.new_context(base_url=live_server.url)
    try:
        other = manager.new_page()
        log_in(other, "max")
        other.goto(f"/cases/{case_id}/")
        expect(other.locator("h1")).to_contain_text(case.title)
        expect(other.locator("#timeline")).to_contain_text("Assigned to ivy")
        # Only the panels' filters (GET forms that change nothing) are offered.
        assert other.locator("main form[method=post]").count() == 0
        filters = other.locator("main form[method=get] button")
        assert other.locator("main button").count() == filters.count()
        other.screenshot(path=artifacts / "manager-case.png", full_page=True)
    finally:
        manager.close()


def test_the_api_docs_render_from_our_own_server(
    django_db_setup, page, live_server, people, artifacts
):
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )
    log_in(page, "ivy")
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .information-container")).to_contain_text("Dossier API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/cases/").first).to_be_visible()
    page.screenshot(path=artifacts / "api-docs.png")
    assert outside == []


def test_a_person_makes_a_token_on_the_profile_page_and_uses_it(
    django_db_setup, page, live_server, people, artifacts
):
    log_in(page, "ivy")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    page.get_by_label("Token name").fill("notebook")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("dsp_")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    answer = requests.get(
        f"{live_server.url}/api/v1/cases/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200
    page.goto("/accounts/profile/")
    assert token not in page.content()
    expect(page.locator("table")).to_contain_text("notebook")
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("table")).to_contain_text("revoked")
    answer = requests.get(
        f"{live_server.url}/api/v1/cases/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 401
