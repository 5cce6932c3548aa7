"""Browser tests: Debian's Chromium driven by Playwright against a live server.

Playwright's own browser downloads are not used: the tests need
``/usr/bin/chromium`` (Debian's ``chromium`` package; ``.ci/run`` installs it).
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from people.roles import Role

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module", autouse=True)
def _sync_orm_beside_the_browser_loop():
    """ORM calls stay allowed until the module's database flush, which runs after
    the function fixtures are undone while the browser's event loop still runs."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def role_groups(transactional_db):
    """The role groups, made again: a transactional test's flush removes the ones
    the migration made."""
    for role in Role:
        Group.objects.get_or_create(name=str(role))


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module.

    Playwright's sync API keeps an event loop running in this thread until it
    stops, and Django refuses ORM calls while a loop runs. So Playwright lives
    only as long as a browser test module, and meanwhile the ORM calls that
    tests and fixtures make between browser steps are allowed.
    """
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test, with the live server as base URL."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def axe_page(browser, live_server):
    """Like ``page``, but its context lets axe's injected script past the app's CSP.

    Only for the accessibility checks (tests/browser/axe.py): everywhere else the
    CSP holds, so a test proves the page's own scripts run under it.
    """
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
