import time

import pytest

from people.sessions import LAST_ACTIVITY, SIGNED_IN_AT

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


def sign_in(client, username):
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def age_session(client, *, idle_seconds=0, signed_in_seconds=0):
    """Pretend the last request, or the sign-in, was this long ago."""
    session = client.session
    now = int(time.time())
    session[LAST_ACTIVITY] = now - idle_seconds
    session[SIGNED_IN_AT] = now - max(signed_in_seconds, idle_seconds)
    session.save()


def test_a_session_idle_past_the_limit_is_sent_to_sign_in_with_the_reason(client, make_user):
    make_user("investigator", username="ivy")
    sign_in(client, "ivy")
    age_session(client, idle_seconds=31 * 60)
    response = client.get("/cases/?status=new")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/cases/%3Fstatus%3Dnew"
    page = client.get(response.url).content.decode()
    assert "Your session ended after 30 minutes without activity" in page
    assert "_auth_user_id" not in client.session


def test_signing_in_again_returns_to_the_page_the_person_was_on(client, make_user):
    make_user("investigator", username="ivy")
    sign_in(client, "ivy")
    age_session(client, idle_seconds=45 * 60)
    login_url = client.get("/cases/?status=new").url
    response = client.post(
        login_url, {"username": "ivy", "password": PASSWORD, "next": "/cases/?status=new"}
    )
    assert response.url == "/cases/?status=new"
    assert client.get("/cases/?status=new").status_code == 200


def test_a_form_posted_after_the_limit_returns_to_the_page_it_was_on(client, make_user):
    make_user("lead", username="lee")
    sign_in(client, "lee")
    age_session(client, idle_seconds=31 * 60)
    response = client.post(
        "/accounts/profile/", {"name": "late"}, headers={"Referer": "http://testserver/cases/"}
    )
    assert response.url == "/accounts/login/?next=/cases/"


def test_activity_keeps_the_session_alive(client, make_user):
    make_user("investigator", username="ivy")
    sign_in(client, "ivy")
    age_session(client, idle_seconds=29 * 60)
    assert client.get("/cases/").status_code == 200
    assert time.time() - client.session[LAST_ACTIVITY] < 5
    assert client.get("/cases/").status_code == 200


def test_the_idle_limit_comes_from_the_setting(client, make_user, settings):
    settings.SESSION_IDLE_MINUTES = 5
    make_user("investigator", username="ivy")
    sign_in(client, "ivy")
    age_session(client, idle_seconds=6 * 60)
    response = client.get("/cases/", follow=True)
    assert "after 5 minutes without activity" in response.content.decode()


def test_a_busy_session_still_ends_at_the_absolute_limit(client, make_user, settings):
    settings.SESSION_COOKIE_AGE = 12 * 3600
    make_user("investigator", username="ivy")
    sign_in(client, "ivy")
    age_session(client, idle_seconds=10, signed_in_seconds=12 * 3600 + 1)
    response = client.get("/cases/", follow=True)
    assert response.redirect_chain[0][0] == "/accounts/login/?next=/cases/"
    assert "sessions last at most 12 hours" in response.content.decode()


def test_the_api_by_session_answers_401_with_the_reason(client, make_user):
    make_user("investigator", username="ivy")
    sign_in(client, "ivy")
    age_session(client, idle_seconds=31 * 60)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    message = response.json()["errors"][0]["message"]
    assert message.startswith("Your session ended after 30 minutes without activity")
    again = client.get("/api/v1/cases/")  # signed out now: no credentials at all
    assert again.status_code == 401
    assert "session ended" not in again.json()["errors"][0]["message"]


def test_the_session_cookie_lasts_the_absolute_limit(client, make_user, settings):
    settings.SESSION_COOKIE_AGE = 3600
    make_user("investigator", username="ivy")
    response = sign_in(client, "ivy")
    assert response.cookies["sessionid"]["max-age"] == 3600
