import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for path in ("/", "/cases/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")


def test_the_login_page_has_no_navigation_for_anonymous_visitors(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Log in to Dossier" in response.content
    assert b'aria-label="Main"' not in response.content


def test_a_case_worker_lands_on_the_queue_after_logging_in(client, make_user):
    make_user("investigator", username="ivy")
    response = client.post(
        "/accounts/login/", {"username": "ivy", "password": "pw-for-tests-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/cases/"
    assert b"Case queue" in response.content


def test_an_administrator_lands_on_the_start_page_after_logging_in(client, make_user):
    make_user("administrator", username="ada")
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": "pw-for-tests-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"Welcome, ada" in response.content


def test_a_user_without_roles_is_told_so_after_logging_in(client, make_user):
    make_user(username="nobody")
    response = client.post(
        "/accounts/login/", {"username": "nobody", "password": "pw-for-tests-1"}, follow=True
    )
    assert b"You hold no role in Dossier yet" in response.content


def test_a_wrong_password_is_refused_with_a_message(client, make_user):
    make_user("lead", username="lee")
    response = client.post("/accounts/login/", {"username": "lee", "password": "wrong"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert "_auth_user_id" not in client.session


def test_logging_out_ends_the_session(client, make_user):
    client.force_login(make_user("lead"))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert client.get("/cases/").status_code == 302


def test_logging_out_needs_a_post(client, make_user):
    client.force_login(make_user("lead"))
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/cases/").status_code == 200
