"""The pages people work in, used from the keyboard and checked by axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases import workflow
from cases.models import Case
from enforcement.models import Action, ActionState, TargetState
from enforcement.workflow import propose_action
from tests.browser import axe
from tests.cases.factories import link, make_account, make_case, make_indicator

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def cast(role_groups, make_user):
    return {
        "ivy": make_user("investigator", username="ivy"),
        "lee": make_user("lead", username="lee"),
    }


@pytest.fixture
def worked_case(cast) -> Case:
    """A case in the middle of its work, with a takedown awaiting a lead's approval,
    among a few others in the queue."""
    ivy = cast["ivy"]
    case = make_case(
        title="Distillation via residential proxies",
        severity="critical",
        sla_due_at=timezone.now() - timedelta(hours=2),
    )
    accounts = [make_account(f"acct_{i:03d}", organization_id="org_7") for i in range(5)]
    accounts.append(
        make_account("acct_vip", is_protected=True, protected_reason="Enterprise customer")
    )
    for account in accounts:
        link(case, account)
    other = make_case(title="Older cluster on the same proxies", status="investigating")
    link(other, accounts[1])
    make_indicator("payment_fingerprint", "pf_91c2", *accounts[:3])
    make_indicator("asn", "AS64500", *accounts)
    make_indicator("ip", "203.0.113.7", *accounts[:2], too_common=True)
    for i in range(3):
        make_case(title=f"Queued cluster {i}", severity="low")

    workflow.assign(case, ivy, actor=ivy)
    workflow.transition(case, "investigating", actor=ivy, reason="Clear pattern")
    workflow.add_note(case, "Same **templated** prompts as last week.", actor=ivy)
    workflow.add_evidence_text(
        case, title="Proxy log excerpt", content="203.0.113.7 burst", actor=ivy
    )
    propose_action(
        case.pk,
        actor=ivy,
        kind="suspend_accounts",
        notice="Your account was suspended for automated extraction.",
        rationale="Shared payment fingerprint across the network.",
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def carried_out_action(cast):
    """A suspension the platform carried out on all but one account, as the
    enforcement worker leaves it (set directly: no worker runs here)."""
    case = make_case(title="Network already suspended", status="investigating")
    for i in range(3):
        link(case, make_account(f"done_{i}"))
    action = propose_action(
        case.pk, actor=cast["ivy"], kind="suspend_accounts", rationale="Same fingerprint."
    )
    now = timezone.now()
    Action.objects.filter(pk=action.pk).update(
        state=ActionState.PARTIALLY_FAILED, approved_by=cast["lee"], approved_at=now
    )
    targets = action.targets.order_by("pk")
    targets.update(state=TargetState.EXECUTED, executed_at=now, attempts=1, reference="ref-1")
    action.targets.filter(pk=targets.last().pk).update(
        state=TargetState.FAILED, error="The platform answered 500."
    )
    return action


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def focused(page: Page) -> str:
    """The focused element as ``tag#id`` (``tag`` when it has no id)."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''); }"
    )


def focused_row_case(page: Page) -> str | None:
    return page.evaluate(
        "() => { const row = document.activeElement.closest('tr.case-row');"
        " return row ? row.dataset.case : null; }"
    )


def test_slash_focuses_the_queue_filter_and_j_k_walk_the_rows_and_enter_opens_one(
    page, worked_case, artifacts
):
    log_in(page, "ivy")
    page.goto("/cases/")
    rows = page.locator("tr.case-row")
    expect(rows).to_have_count(Case.objects.count())
    order = [rows.nth(i).get_attribute("data-case") for i in range(rows.count())]

    page.keyboard.press("/")
    assert focused(page) == "input#id_q"
    page.keyboard.type("proxies")  # the slash itself is not typed into the filter
    expect(page.locator("#id_q")).to_have_value("proxies")
    page.keyboard.press("Escape")  # leaves the filter, so j and k move again

    page.keyboard.press("j")
    assert focused_row_case(page) == order[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert focused_row_case(page) == order[2]
    page.keyboard.press("k")
    assert focused_row_case(page) == order[1]
    expect(page.locator(f"tr.case-row[data-case='{order[1]}']")).to_have_class(
        re.compile(r"\bselected\b")
    )
    page.screenshot(path=artifacts / "queue-keyboard-selection.png")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/cases/{order[1]}/$"))
    expect(page.locator("h1")).to_contain_text(f"#{order[1]}")


def test_j_and_k_type_letters_while_a_field_has_the_focus(page, worked_case):
    log_in(page, "ivy")
    page.goto("/cases/")
    page.locator("#id_assignee").focus()
    page.keyboard.type("jk/")
    expect(page.locator("#id_assignee")).to_have_value("jk/")
    assert focused(page) == "input#id_assignee"


def test_the_skip_link_is_the_first_stop_and_reaches_the_main_content(page, worked_case, artifacts):
    log_in(page, "ivy")
    page.goto(f"/cases/{worked_case.pk}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.screenshot(path=artifacts / "skip-link.png")
    page.keyboard.press("Enter")
    assert focused(page) == "main#main"
    # The next Tab goes on from the main content, not back to the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def test_the_focused_control_is_outlined(page, worked_case):
    log_in(page, "ivy")
    page.goto("/cases/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the skip link, onto the brand
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2


def test_the_queue_filters_are_each_labelled_and_work_from_checkboxes(page, worked_case):
    log_in(page, "ivy")
    page.goto("/cases/")
    filters = page.locator("#queue-filters")
    filters.get_by_role("group", name="Severity").get_by_label("Critical").check()
    filters.get_by_label("Created from").fill("2020-01-01")
    filters.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert "severity=critical" in page.url and "created_after=2020-01-01" in page.url
    expect(page.locator("tr.case-row")).to_have_count(1)
    expect(
        page.locator("#queue-filters")
        .get_by_role("group", name="Severity")
        .get_by_label("Critical")
    ).to_be_checked()


@pytest.mark.parametrize("who", ["ivy", "lee"])
def test_axe_finds_no_serious_violation_on_the_queue_case_action_and_approvals_pages(
    axe_page, worked_case, who
):
    action = worked_case.actions.get()
    log_in(axe_page, who)
    pages = [
        "/cases/",
        "/cases/?severity=critical&due_after=2020-01-01",
        "/cases/?created_after=not-a-date",
        f"/cases/{worked_case.pk}/",
        f"/actions/{action.pk}/",
    ]
    if who == "lee":
        pages += ["/actions/approvals/", "/actions/approvals/?kind=suspend_accounts"]
    pages.append("/cases/999999/")  # the app's own 404 page
    found = []
    for url in pages:
        axe_page.goto(url)
        expect(axe_page.locator("main h1")).to_be_visible()
        found.append(axe.report(axe_page))
    # The propose form, on a case whose status takes a proposal, as each kind shows it.
    open_case = Case.objects.filter(status="investigating").exclude(pk=worked_case.pk).get()
    axe_page.goto(f"/actions/propose/{open_case.pk}/")
    for kind in ("suspend_accounts", "rate_limit", "notify_partner"):
        axe_page.get_by_label("Kind").select_option(kind)
        found.append(axe.report(axe_page))
    assert not any(found), "\n".join(filter(None, found))


def test_axe_finds_no_serious_violation_where_a_lead_reverts_and_rejects(
    axe_page, worked_case, carried_out_action
):
    log_in(axe_page, "lee")
    found = []
    axe_page.goto(f"/cases/{carried_out_action.case_id}/")
    found.append(axe.report(axe_page))
    axe_page.goto(f"/actions/{carried_out_action.pk}/")
    found.append(axe.report(axe_page))
    # Reverting one target asks for a reason on a page of its own.
    axe_page.locator("#targets tr[data-value='done_0']").get_by_role(
        "link", name=re.compile("^Revert")
    ).click()
    expect(axe_page.locator("#confirm-step")).to_be_visible()
    found.append(axe.report(axe_page))
    axe_page.locator("#confirm-reason").fill("   ")  # a blank reason is refused
    axe_page.get_by_role("button", name=re.compile("Revert")).click()
    expect(axe_page.locator("#confirm-error")).to_be_visible()
    found.append(axe.report(axe_page))
    # So does rejecting from the approvals queue.
    axe_page.goto("/actions/approvals/")
    axe_page.locator("table.approvals tbody input[type=checkbox]").first.check()
    axe_page.get_by_role("button", name="Reject selected").click()
    expect(axe_page.locator("#confirm-step")).to_be_visible()
    found.append(axe.report(axe_page))
    assert not any(found), "\n".join(filter(None, found))
