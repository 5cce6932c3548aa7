"""A lead required to use two-factor sign-in sets up an authenticator app in
Chromium, from the secret the page shows, and signs in again with a code."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp

from tests.browser.axe import assert_no_serious_violations

PASSWORD = "pw-for-tests-1"


def code_from(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app given ``secret`` shows now (or a step later)."""
    return f"{totp(b32decode(secret.replace(' ', '')), drift=steps_ahead):06d}"


def give_password(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture
def lead(role_groups, make_user, settings):
    settings.REQUIRE_TOTP_FOR_ROLES = ["lead"]
    return make_user("lead", username="lee")


def test_a_lead_sets_up_an_app_and_then_signs_in_with_its_code(axe_page, lead, artifacts):
    page = axe_page
    page.goto("/")
    give_password(page, "lee")

    assert "/accounts/profile/two-factor/" in page.url
    assert page.get_by_text("Your role requires two-factor sign-in").first.is_visible()
    assert page.get_by_role("navigation", name="Main").get_by_role("link").count() == 0
    page.goto("/cases/")
    assert "/accounts/profile/two-factor/" in page.url  # nothing else opens meanwhile
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.wait_for_load_state()

    qr = page.get_by_role("img", name="QR code holding the secret for Dossier")
    assert qr.locator("svg path").count() == 1
    assert qr.bounding_box()["width"] > 100
    secret = page.locator("#totp-secret").inner_text()
    assert_no_serious_violations(page)
    page.screenshot(path=artifacts / "totp-setup.png", full_page=True)

    page.get_by_label("Type the code the app shows now").fill(code_from(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_url(re.compile(r"/cases/"))
    assert page.get_by_text("Two-factor sign-in is on").is_visible()
    assert (
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Queue").is_visible()
    )

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    give_password(page, "lee")
    assert "/accounts/login/code/" in page.url
    assert_no_serious_violations(page)
    page.get_by_label("Code from your authenticator app").fill(code_from(secret, 1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/cases/"))
    assert "lee" in page.locator(".who").inner_text()
    page.screenshot(path=artifacts / "totp-signed-in.png", full_page=True)
