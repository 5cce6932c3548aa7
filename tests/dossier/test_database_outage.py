"""The database goes away under a running gunicorn and comes back.

While PostgreSQL is stopped every answer says so: the alerts API and the
cases API 503 in the API's error shape with ``Retry-After`` (never a 500,
never a 202 for alerts that were not stored), pages the outage page, and
``/healthz`` names the database as down. Once it is started again the same
gunicorn answers as before, its dead connections dropped and replaced.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import requests

from tests.ingestion.conftest import make_alert
from tests.private_stack import AS_IN_PRODUCTION, migrated_with_people, post_alerts, scalar

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(private_postgres, gunicorn_server, tmp_path):
    database_url = private_postgres.url_given
    people = migrated_with_people(database_url)
    base = gunicorn_server(
        **AS_IN_PRODUCTION,
        DATABASE_URL=database_url,
        GUNICORN_CMD_ARGS="--threads 2",
    )
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=10)
    signed_in = session.post(
        f"{base}/accounts/login/",
        data={
            "username": people["username"],
            "password": people["password"],
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    assert signed_in.status_code == 200 and "sessionid" in session.cookies
    return SimpleNamespace(
        base=base,
        cluster=private_postgres,
        database_url=database_url,
        detector=people["detector"],
        token=people["token"],
        session=session,
        sent=0,
        accepted=0,
    )


def ask(stack) -> dict[str, requests.Response]:
    """One of each: alerts posted, cases listed by the API, the queue page, /healthz."""
    alerts = [make_alert(f"outage-{stack.sent + n}") for n in range(3)]
    stack.sent += len(alerts)
    answers = {
        "POST /api/v1/alerts/": post_alerts(stack.base, stack.detector, alerts),
        "GET /api/v1/cases/": requests.get(
            f"{stack.base}/api/v1/cases/",
            headers={"Authorization": f"Bearer {stack.token}"},
            timeout=30,
        ),
        "GET /cases/": stack.session.get(f"{stack.base}/cases/", timeout=30),
        "GET /healthz": requests.get(f"{stack.base}/healthz", timeout=30),
    }
    if answers["POST /api/v1/alerts/"].status_code == 202:
        stack.accepted += len(alerts)
    return answers


def summary(answers: dict[str, requests.Response]) -> str:
    return ", ".join(
        f"{name} {r.status_code} ({r.elapsed.total_seconds():.2f}s)" for name, r in answers.items()
    )


def assert_served(answers) -> None:
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {
        "POST /api/v1/alerts/": 202,
        "GET /api/v1/cases/": 200,
        "GET /cases/": 200,
        "GET /healthz": 200,
    }, summary(answers)
    assert answers["GET /healthz"].json()["database"] == "ok"


def assert_outage_answered(answers) -> None:
    for name in ("POST /api/v1/alerts/", "GET /api/v1/cases/"):
        response = answers[name]
        assert response.status_code == 503, summary(answers)
        assert response.headers["Retry-After"] == "60"
        assert response.json() == {
            "errors": [
                {
                    "index": None,
                    "field": None,
                    "message": "Dossier cannot reach its database; try again later.",
                }
            ]
        }
    page = answers["GET /cases/"]
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "60"
    assert "<h1>Dossier is unavailable</h1>" in page.text
    health = answers["GET /healthz"]
    assert health.status_code == 503
    assert health.json() == {"database": "down", "broker": "ok", "workers": "down"}


def test_every_answer_says_the_database_is_down_and_all_resume_once_it_is_back(
    stack, report_figure
):
    assert_served(ask(stack))
    for mode in ("fast", "immediate"):
        stopped = time.monotonic()
        stack.cluster.stop(mode)
        during = ask(stack)
        assert_outage_answered(during)
        stack.cluster.start()
        back = time.monotonic()
        after = ask(stack)  # the first requests after the restart
        assert_served(after)
        report_figure(
            f"database outage ({mode} shutdown, {back - stopped:.1f}s): during: "
            f"{summary(during)}; first after: {summary(after)}"
        )

    # Stopped and started again between two requests: the connections the
    # gunicorn keeps (DATABASE_CONN_MAX_AGE) are dead, and checked before use.
    stack.cluster.stop("immediate")
    stack.cluster.start()
    unnoticed = ask(stack)
    assert_served(unnoticed)
    report_figure(f"database restarted between requests: first after: {summary(unnoticed)}")

    stored = scalar(stack.database_url, "SELECT count(*) FROM ingestion_alert")
    report_figure(f"alerts sent {stack.sent}, answered 202 {stack.accepted}, stored {stored}")
    assert stored == stack.accepted == 12
