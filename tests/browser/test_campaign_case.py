"""An investigator reads a case holding a whole network: 25,000 accounts, 2,000 values."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from people.roles import Role
from tests.cases.bulk import fill_case, record_batches
from tests.cases.factories import make_case

PASSWORD = "a-long-test-passphrase-1"


@pytest.fixture
def ivy(transactional_db, django_user_model):
    # A transactional test's flush removes the role groups the migration made.
    group, _ = Group.objects.get_or_create(name=str(Role.INVESTIGATOR))
    user = django_user_model.objects.create_user(username="ivy", password=PASSWORD)
    user.groups.add(group)
    return user


@pytest.fixture
def campaign(transactional_db):
    case = make_case(title="Campaign network", status="investigating")
    fill_case(case, accounts=25_000, indicators=2_000, alerts=20_000)
    record_batches(case, 300)
    return case


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def account_ids(page: Page) -> list[str]:
    return page.locator("#accounts tr.account-row td:first-child").all_inner_texts()


def test_an_investigator_pages_filters_and_finds_their_note_on_a_25000_account_case(
    django_db_setup, page, ivy, campaign, artifacts
):
    log_in(page, "ivy")
    page.goto(f"/cases/{campaign.pk}/")
    header = page.locator("#case-counts")
    expect(header).to_contain_text("25,000 accounts")
    expect(header).to_contain_text("1,000+ indicators")

    first = account_ids(page)
    assert len(first) == 50 and first[0].startswith(f"c{campaign.pk}_025000")
    page.locator("#accounts").get_by_role("link", name="Next accounts").click()
    page.wait_for_load_state()
    assert "accounts-after=" in page.url
    second = account_ids(page)
    assert len(second) == 50 and second[0].startswith(f"c{campaign.pk}_024950")

    filters = page.locator("#indicators-filters")
    filters.get_by_label("Strength").select_option("strong")
    filters.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "indicators-strength=strong" in page.url
    rows = page.locator("#indicators tr.indicator-row")
    expect(rows.first).to_be_visible()
    assert rows.count() == 25
    assert page.locator("#indicators tr.indicator-row.weak").count() == 0

    page.locator("#note-form textarea").fill("The operator rotates **device fingerprints** daily.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state()
    top = page.locator("#timeline li.tl").first
    expect(top).to_contain_text("The operator rotates device fingerprints daily.")
    expect(top).to_contain_text("by ivy")
    expect(page.locator("#timeline li.tl-import").first).to_contain_text(
        "added 40 alerts and 8 accounts"
    )
    page.locator("#timeline").screenshot(path=artifacts / "campaign-case-timeline.png")
