"""The queue is for case workers; everyone else is refused, superusers included."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role", ["investigator", "lead", "manager", "policy", "legal", "executive"]
)
def test_case_workers_open_the_queue(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get("/cases/").status_code == 200


def test_an_administrator_is_refused_the_queue(client, make_user):
    client.force_login(make_user("administrator"))
    response = client.get("/cases/")
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_a_user_without_roles_is_refused_the_queue(client, make_user):
    client.force_login(make_user())
    assert client.get("/cases/").status_code == 403


def test_a_superuser_without_roles_is_refused_the_queue(client, make_user):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    assert client.get("/cases/").status_code == 403


def test_the_refusal_page_keeps_the_users_navigation(client, make_user):
    client.force_login(make_user("administrator"))
    response = client.get("/cases/")
    assert b'aria-label="Main"' in response.content
    assert b">Admin</a>" in response.content
