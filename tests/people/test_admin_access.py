"""The Django admin opens to the administrator role, and only to it."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_administrator_manages_users_and_roles_in_the_admin(client, make_user):
    client.force_login(make_user("administrator"))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b'href="/admin/auth/user/"' in response.content
    assert b'href="/admin/auth/group/"' in response.content
    assert client.get("/admin/auth/user/").status_code == 200


@pytest.mark.parametrize("role", ["investigator", "lead", "manager", "legal"])
def test_other_roles_are_refused_the_admin(client, make_user, role):
    client.force_login(make_user(role))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_a_user_without_roles_is_refused_the_admin(client, make_user):
    client.force_login(make_user())
    assert client.get("/admin/").status_code == 302


def test_the_roles_survive_a_database_flush(transactional_db, make_user):
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    call_command("flush", "--noinput", verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "investigator",
        "lead",
        "manager",
        "policy",
        "legal",
        "executive",
        "administrator",
    }
