"""A slow query in a real gunicorn is cut off at the web statement timeout and
answered with the "took too long" page, while other requests are served."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.private_stack import AS_IN_PRODUCTION

TIMEOUT = 1.0


@pytest.fixture
def server(gunicorn_server, tmp_path):
    """gunicorn as production runs it (DEBUG off), serving the test URLs, 4 threads."""
    url = gunicorn_server(
        **{
            **AS_IN_PRODUCTION,
            "DJANGO_SETTINGS_MODULE": "tests.core.failing_settings",
            "WEB_STATEMENT_TIMEOUT": str(TIMEOUT),
            # Even if the environment says otherwise, gunicorn serves web requests.
            "DOSSIER_PROCESS": "worker",
            "GUNICORN_CMD_ARGS": "--threads 4",
        }
    )
    # The first requests load the URLs and templates: not what is measured here.
    for path in ("/healthz", "/accounts/login/", "/slow/?seconds=0"):
        requests.get(url + path, timeout=30)
    return url


def timed(method, url, **kwargs):
    started = time.monotonic()
    response = method(url, timeout=30, **kwargs)
    return response, time.monotonic() - started


def test_a_slow_query_is_cut_off_and_answered_while_others_are_served(server, report_figure):
    slow: dict = {}

    def slow_request():
        slow["response"], slow["seconds"] = timed(requests.get, f"{server}/slow/")

    thread = threading.Thread(target=slow_request)
    thread.start()
    others: list[tuple[str, int, float]] = []
    while thread.is_alive():
        for path in ("/healthz", "/accounts/login/"):
            response, seconds = timed(requests.get, server + path)
            others.append((path, response.status_code, seconds))
        time.sleep(0.05)
    thread.join()

    response, seconds = slow["response"], slow["seconds"]
    slowest = max(s for _, _, s in others)
    figures = (
        f"slow query under WEB_STATEMENT_TIMEOUT={TIMEOUT:g}s: answered {response.status_code} "
        f"in {seconds:.2f}s; meanwhile {len(others)} other requests "
        f"(/healthz, /accounts/login/) answered in at most {slowest:.3f}s"
    )
    print(f"\n{figures}")
    report_figure(figures)
    assert response.status_code == 503, figures
    assert "<h1>That took too long</h1>" in response.text
    assert "cannot reach its database" not in response.text
    assert "Retry-After" not in response.headers
    assert TIMEOUT <= seconds < TIMEOUT + 2, figures
    assert len(others) >= 6, figures
    assert {status for _, status, _ in others} == {200}, others
    assert slowest < TIMEOUT, figures


def test_the_api_answers_a_cut_off_query_in_its_error_shape(server):
    response, seconds = timed(requests.get, f"{server}/api/v1/slow/")
    assert response.status_code == 503
    (error,) = response.json()["errors"]
    assert error == {
        "index": None,
        "field": None,
        "message": "Dossier stopped this request after 1 seconds in its database; "
        "nothing was kept. Try again, or narrow the request.",
    }
    assert seconds < TIMEOUT + 2
    # The database itself is fine, and says so.
    assert requests.get(f"{server}/healthz", timeout=10).json()["database"] == "ok"
