"""Each demo user (one per role) logs in through the browser and sees its role's navigation."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from people.navigation import NAVIGATION
from people.roles import Role
from tests.browser import axe


def expected_labels(role: Role) -> list[str]:
    labels = []
    for entry in NAVIGATION:
        if role not in entry.roles:
            continue
        try:
            reverse(entry.url_name)
        except NoReverseMatch:
            continue
        labels.append(entry.label)
    return labels


@pytest.fixture
def demo_users(transactional_db, settings, tmp_path) -> dict[str, tuple[str, str]]:
    """role -> (username, password), made by the same command ``make run`` uses."""
    settings.DEBUG = True  # the command refuses production; the tests run with DEBUG off
    file = tmp_path / "demo-users.txt"
    call_command("demo_users", file=file, stdout=io.StringIO())
    settings.DEBUG = False
    rows = re.findall(r"^(\w+)\s+(\S+)\s+(\S+)$", file.read_text(), re.M)
    return {role: (username, password) for role, username, password in rows}


@pytest.mark.parametrize("role", list(Role))
def test_a_demo_user_logs_in_and_sees_the_navigation_of_their_role(
    page, demo_users, artifacts, role
):
    username, password = demo_users[role]
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()

    navigation = page.get_by_role("navigation", name="Main")
    labels = [text.strip() for text in navigation.get_by_role("link").all_inner_texts()]
    assert labels == expected_labels(role)
    assert username in page.locator(".who").inner_text()
    page.screenshot(path=artifacts / f"login-{role}.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_a_person_locked_out_after_wrong_passwords_sees_when_to_try_again(
    axe_page, role_groups, make_user, settings, artifacts
):
    make_user("investigator", username="ivy")
    axe_page.goto("/accounts/login/")
    for n in range(settings.AXES_FAILURE_LIMIT):
        axe_page.get_by_label("Username").fill("ivy")
        axe_page.get_by_label("Password").fill(f"wrong-{n}")
        axe_page.get_by_role("button", name="Log in").click()
        axe_page.wait_for_load_state()

    expect(axe_page.get_by_role("heading", name="Sign-in locked")).to_be_visible()
    expect(axe_page.get_by_role("alert")).to_contain_text(
        re.compile(
            r"Too many failed sign-ins for ivy from your address\.\s+Try again after \d\d:\d\d UTC"
        )
    )
    axe.assert_no_serious_violations(axe_page)
    axe_page.screenshot(path=artifacts / "login-locked-out.png", full_page=True)

    axe_page.get_by_role("link", name="Back to the sign-in page").click()
    axe_page.get_by_label("Username").fill("ivy")
    axe_page.get_by_label("Password").fill("pw-for-tests-1")
    axe_page.get_by_role("button", name="Log in").click()
    expect(axe_page.get_by_role("heading", name="Sign-in locked")).to_be_visible()
