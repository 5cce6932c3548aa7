"""A manager exports a large, filtered audit trail in the browser: the export runs
as a job on a real worker, the progress bar reaches the end, the file
downloads, and the shipped checker verifies it with the page's public key."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from audit.events import record_many
from tests.audit.test_exports import run_script
from tests.browser.axe import violations
from tests.browser.test_takedown import login
from tests.ingestion.worker.conftest import redis_broker, start_worker  # noqa: F401 - fixtures

NOTES = 1500


@pytest.fixture
def busy_trail(transactional_db):
    """Notes on two cases, interleaved with assignments the filter leaves out."""
    with transaction.atomic():
        record_many(
            {
                "verb": "case.noted" if n % 2 else "case.assigned",
                "system": "test",
                "cases": [n % 2 + 1],
                "reason": f"step {n}",
            }
            for n in range(2 * NOTES)
        )


def test_a_manager_exports_a_large_filtered_trail_and_verifies_it(
    page,
    axe_page,
    make_user,
    busy_trail,
    start_worker,  # noqa: F811
    settings,
    export_root,
    tmp_path,
    artifacts,
):
    settings.AUDIT_EXPORT_SYNC_MAX_ROWS = 100
    start_worker(name="exports", EXPORT_ROOT=str(export_root), AUDIT_EXPORT_PAGE_SIZE="25")
    make_user("manager", username="mia")

    login(page, "mia")
    page.goto("/audit/")
    page.get_by_label("What").fill("case.noted")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("tr.audit-event").first).to_contain_text("case.noted")
    public_key = page.locator("code.public-key").inner_text()

    page.get_by_role("button", name="CSV").click()
    expect(page.locator(".messages")).to_contain_text(
        "1,500 events are more than one download holds (100)"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Export of the audit trail")
    expect(page.locator("#export-rows")).to_contain_text("1500, up to event #")
    label = page.locator("#progress .progress-label")
    expect(label).to_have_text("1,500 of 1,500 events written; ready to download", timeout=60_000)
    bar = page.locator("#progress progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "1500"
    page.screenshot(path=artifacts / "audit-export-ready.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Download audit-export-\d+\.csv$")).click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)

    checked = run_script("--file", str(saved), "--public-key", public_key)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok: 1500 rows verified against the signed manifest")
    assert 'filter {"verb": "case.noted"}' in checked.stdout

    # The job's page and the list of exports, for people relying on a screen reader.
    login(axe_page, "mia")
    axe_page.goto(page.url)
    assert violations(axe_page) == []
    axe_page.goto("/audit/exports/")
    expect(axe_page.locator("table.export-jobs tbody tr")).to_have_count(1)
    assert violations(axe_page) == []
