"""A takedown in the browser: an investigator proposes suspending a case's accounts,
a lead reads the blast radius and approves, a real worker carries it out through
the platform's enforcement API, the progress bar reaches the end, and the lead
reverts one account."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Account, Case, CaseAccount
from tests.enforcement.conftest import platform, worker_env  # noqa: F401 - fixtures
from tests.ingestion.worker.conftest import redis_broker, start_worker  # noqa: F401 - fixtures

PASSWORD = "pw-for-tests-1"


def login(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def logout(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def simulated_case(transactional_db):
    case = Case.objects.create(title="Distillation via residential proxies", status="investigating")
    accounts = Account.objects.bulk_create(
        [Account(external_id=f"acct_{i:03d}", is_protected=i == 0) for i in range(25)]
    )
    CaseAccount.objects.bulk_create(
        [
            CaseAccount(case=case, account=a, reason="shared device", linked_by_detector="d1")
            for a in accounts
        ]
    )
    other = Case.objects.create(title="Older cluster", status="investigating")
    CaseAccount.objects.create(
        case=other, account=accounts[3], reason="seen", linked_by_detector="d1"
    )
    return case


def test_a_takedown_is_proposed_approved_executed_and_partly_reverted(
    page,
    make_user,
    simulated_case,
    start_worker,  # noqa: F811
    platform,  # noqa: F811
    artifacts,
):
    platform.delay = 0.15  # slow enough to watch the bar move
    start_worker(name="takedown", **worker_env(platform))
    make_user("investigator", username="ivy")
    make_user("lead", username="lee")
    case = simulated_case

    # The investigator proposes suspending the case's accounts.
    login(page, "ivy")
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name="Propose an action").click()
    page.get_by_label("Kind").select_option("suspend_accounts")
    page.get_by_label("Notice").fill("Your account was suspended for automated extraction.")
    page.get_by_label("Rationale").fill("Shared device fingerprint across 25 accounts.")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#action-state")).to_have_text("Proposed")
    expect(page.locator("#approve-action")).to_have_count(0)  # not for the proposer
    action_url = page.url
    logout(page)

    # A lead sees it in the queue, reads the blast radius and approves.
    login(page, "lee")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    row = page.locator("table.approvals tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Suspend accounts")
    expect(row).to_contain_text("ivy")
    expect(row).to_contain_text("+1 protected excluded")
    row.get_by_role("link", name=re.compile(r"^#\d+$")).click()
    radius = page.locator("#blast-radius")
    expect(radius.locator("#radius-accounts")).to_contain_text("24 accounts acted on")
    expect(radius.locator("#radius-protected")).to_contain_text("1 protected account")
    expect(radius.locator("#radius-protected")).to_contain_text("acct_000")
    expect(radius.locator("#radius-cases")).to_contain_text("1 other open case touched")
    page.screenshot(path=artifacts / "takedown-blast-radius.png", full_page=True)
    page.get_by_label("Comment").fill("Evidence is conclusive.")
    page.get_by_role("button", name="Approve").click()

    # The bar moves while the worker calls the platform, then reaches the end.
    label = page.locator("#progress .progress-label")
    expect(label).to_have_text(re.compile(r"of 24 accounts suspended"))
    expect(label).to_have_text("24 of 24 accounts suspended", timeout=60_000)
    expect(page.locator("#action-state")).to_have_text("Executed", timeout=10_000)
    bar = page.locator("#progress progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "24"
    page.screenshot(path=artifacts / "takedown-executed.png", full_page=True)

    # The case shows the results, target by target.
    page.goto(f"/cases/{case.pk}/")
    expect(page.locator("#case-status")).to_contain_text("Actioned")
    panel = page.locator("#actions")
    expect(panel).to_contain_text("24 of 24 accounts suspended")
    expect(panel.locator("tr[data-value='acct_005'] .target-state")).to_have_text("Executed")
    page.screenshot(path=artifacts / "takedown-case.png", full_page=True)

    # The lead reverts one account from the case page, confirming with a reason;
    # only it is undone.
    panel.locator("tr[data-value='acct_005']").get_by_role("link", name="Revert acct_005…").click()
    page.get_by_label("Why acct_005 is reverted").fill("Customer appeal upheld")
    page.get_by_role("button", name="Revert acct_005").click()
    expect(page.locator("#actions .progress-label")).to_have_text(
        "24 of 24 accounts suspended, 1 since reverted", timeout=60_000
    )
    expect(page.locator("#actions tr[data-value='acct_005'] .target-state")).to_have_text(
        "Reverted", timeout=60_000
    )
    page.goto(action_url)
    expect(page.locator("tr[data-value='acct_005'] .target-state")).to_have_text("Reverted")
    expect(page.locator("tr[data-value='acct_006'] .target-state")).to_have_text("Executed")
    expect(page.locator("#action-state")).to_have_text("Executed")
    page.screenshot(path=artifacts / "takedown-reverted-one.png", full_page=True)
    assert platform.state[("account", "acct_005")] == "reverted"
    assert platform.state[("account", "acct_006")] == "applied"
    assert ("account", "acct_000") not in platform.state  # protected, never sent
    assert set(platform.executions.values()) == {1}
