"""Error pages: in the app's chrome, and the outage page without the database."""

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(client, settings):
    settings.ROOT_URLCONF = "tests.core.failing_urls"
    # Answer as production would, instead of re-raising into the test.
    client.raise_request_exception = False
    return client


def refuse_every_query(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_an_unreachable_database_answers_the_outage_page(failing, make_user):
    failing.force_login(make_user("investigator"))
    with connection.execute_wrapper(refuse_every_query):
        response = failing.get("/cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.content.decode()
    assert "<h1>Dossier is unavailable</h1>" in body
    assert "cannot reach its database" in body
    assert 'aria-label="Main"' not in body  # no navigation: it needs the database


def test_the_api_is_told_of_an_outage_in_its_own_format(failing):
    response = failing.get("/api/v1/broken/")
    assert response.status_code == 503
    assert response.json()["errors"][0]["message"].startswith("Dossier cannot reach its database")


def test_a_statement_cut_off_by_its_timeout_answers_the_too_slow_page(failing, make_user):
    failing.force_login(make_user("investigator"))
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute("SET statement_timeout = 200")
    response = failing.get("/slow/?seconds=5")
    assert response.status_code == 503
    assert not response.has_header("Retry-After")
    body = response.content.decode()
    assert "<h1>That took too long</h1>" in body
    assert "cannot reach its database" not in body


def test_the_api_tells_a_statement_cut_off_from_an_outage(failing, settings):
    settings.STATEMENT_TIMEOUT = 30  # the limit of the process, which the message names
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 200")
    response = failing.get("/api/v1/slow/?seconds=5")
    assert response.status_code == 503
    (error,) = response.json()["errors"]
    assert error["message"].startswith("Dossier stopped this request after 30 seconds")


def test_a_bug_answers_the_500_page_without_the_database(failing):
    # Signed out: a signed-in request's session lookup would meet the refused
    # database first, and that is an outage (503, above), not a bug.
    with connection.execute_wrapper(refuse_every_query):
        response = failing.get("/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "<h1>Something went wrong</h1>" in body
    assert 'class="topbar"' in body and 'aria-label="Main"' not in body


def test_a_page_the_roles_do_not_open_answers_403_in_the_apps_chrome(client, make_user):
    client.force_login(make_user("investigator"))
    response = client.get("/cases/known-shared/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>Not allowed</h1>" in body
    assert 'aria-label="Main"' in body


def test_an_unknown_address_answers_404_in_the_apps_chrome(client, make_user):
    client.force_login(make_user("investigator"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()
    assert 'aria-label="Main"' in response.content.decode()
