"""Roles and account flags in the Django admin: who may change whose, and the trail of it."""

import pytest
from django.contrib.auth.models import Group, User

from audit.models import AuditEvent
from people.roles import roles_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client, make_user):
    """An administrator (no superuser, no staff), signed in with their password."""
    user = make_user("administrator", username="ada")
    # Administrators are not staff: they sign in on Dossier's own page.
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": "pw-for-tests-1", "next": "/admin/"}
    )
    assert response.status_code == 302 and response.url == "/admin/"
    return user


@pytest.fixture
def superuser(client, make_user):
    user = make_user(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def role_ids(*names: str) -> list[int]:
    return [Group.objects.get(name=name).pk for name in names]


def form(person: User, *, roles=None, active=None, first_name=None, **flags) -> dict:
    """The change form's fields for ``person``, as posted with ``roles``, ``active`` and flags."""
    data = {
        "username": person.username,
        "first_name": person.first_name if first_name is None else first_name,
        "last_name": person.last_name,
        "email": person.email,
        "groups": role_ids(*(roles if roles is not None else roles_of(person))),
    }
    if person.is_active if active is None else active:
        data["is_active"] = "on"
    data.update({flag: "on" for flag, on in flags.items() if on})
    return data


def post(client, person: User, **changes):
    return client.post(f"/admin/auth/user/{person.pk}/change/", form(person, **changes))


def privilege_events():
    return list(AuditEvent.objects.filter(verb__startswith="person.").order_by("sequence"))


def reload(person: User) -> User:
    return User.objects.get(pk=person.pk)


def test_an_administrator_sees_no_superuser_or_staff_box_to_check(client, administrator, make_user):
    person = make_user("investigator")
    page = client.get(f"/admin/auth/user/{person.pk}/change/").content.decode()
    assert 'name="is_active"' in page
    assert 'name="is_superuser"' not in page
    assert 'name="is_staff"' not in page


def test_an_administrator_cannot_make_anyone_superuser_or_staff(client, administrator, make_user):
    person = make_user("investigator")
    post(client, person, is_superuser=True, is_staff=True, first_name="Ivy")
    person = reload(person)
    # The form was saved; the boxes posted with it were ignored.
    assert person.first_name == "Ivy"
    assert (person.is_superuser, person.is_staff) == (False, False)
    assert privilege_events() == []


def test_an_administrator_cannot_make_themselves_superuser(client, administrator):
    post(client, administrator, is_superuser=True, is_staff=True, first_name="Ada")
    administrator = reload(administrator)
    assert administrator.first_name == "Ada"
    assert not administrator.is_superuser


@pytest.mark.parametrize("role", ["lead", "manager", "administrator"])
def test_an_administrator_cannot_give_anyone_a_role_only_superusers_give(
    client, administrator, make_user, role
):
    person = make_user("investigator")
    response = post(client, person, roles=["investigator", role])
    # The form says the choice is not one it offers, and changes nothing.
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert roles_of(reload(person)) == {"investigator"}
    assert privilege_events() == []


def test_an_administrator_cannot_change_their_own_roles_or_active_flag(client, administrator):
    page = client.get(f"/admin/auth/user/{administrator.pk}/change/").content.decode()
    assert 'name="groups"' not in page
    assert 'name="is_active"' not in page
    post(
        client,
        administrator,
        roles=["administrator", "lead", "manager"],
        active=False,
        first_name="A",
    )
    administrator = reload(administrator)
    assert administrator.first_name == "A"
    assert roles_of(administrator) == {"administrator"}
    assert administrator.is_active
    assert privilege_events() == []


def test_an_administrator_cannot_edit_a_superuser(client, administrator, make_user):
    root = make_user(username="root", is_superuser=True, is_staff=True)
    page = client.get(f"/admin/auth/user/{root.pk}/change/")
    # Shown, but with nothing to change.
    assert page.status_code == 200
    assert 'name="username"' not in page.content.decode()
    assert post(client, root, active=False).status_code == 403
    assert client.get(f"/admin/auth/user/{root.pk}/password/").status_code == 403
    response = client.post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "taken-over-pw-1", "password2": "taken-over-pw-1"},
    )
    assert response.status_code == 403
    root = reload(root)
    assert root.is_active and root.check_password("pw-for-tests-1")


@pytest.mark.parametrize("role", ["lead", "manager", "administrator"])
def test_an_administrator_cannot_change_a_lead_manager_or_other_administrator(
    client, administrator, make_user, role
):
    person = make_user(role)
    assert post(client, person, roles=[], active=False).status_code == 403
    assert client.get(f"/admin/auth/user/{person.pk}/password/").status_code == 403
    person = reload(person)
    assert roles_of(person) == {role} and person.is_active


def test_an_administrator_gives_another_person_a_role_on_the_trail(
    client, administrator, make_user
):
    person = make_user(username="ivy")
    response = post(client, person, roles=["investigator", "legal"])
    assert response.status_code == 302
    assert roles_of(reload(person)) == {"investigator", "legal"}
    (event,) = privilege_events()
    assert (event.verb, event.actor_username, event.target_id) == (
        "person.privileges_changed",
        "ada",
        str(person.pk),
    )
    assert event.before == {"roles": []}
    assert event.after == {"roles": ["investigator", "legal"]}


def test_an_administrator_deactivates_an_investigator_on_the_trail(
    client, administrator, make_user
):
    person = make_user("investigator")
    post(client, person, active=False)
    assert not reload(person).is_active
    (event,) = privilege_events()
    assert (event.before, event.after) == ({"is_active": True}, {"is_active": False})


def test_nobody_is_deleted_in_the_admin(client, superuser, make_user):
    person = make_user("investigator")
    response = client.post(f"/admin/auth/user/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=person.pk).exists()


def test_a_superuser_gives_the_lead_role_with_one_event_before_and_after(
    client, superuser, make_user
):
    person = make_user("investigator", username="lee")
    assert post(client, person, roles=["investigator", "lead"]).status_code == 302
    assert roles_of(reload(person)) == {"investigator", "lead"}
    (event,) = privilege_events()
    assert (event.verb, event.actor_username, event.target_repr) == (
        "person.privileges_changed",
        "root",
        "lee",
    )
    assert event.before == {"roles": ["investigator"]}
    assert event.after == {"roles": ["investigator", "lead"]}


def test_a_superuser_grants_and_removes_superuser_status_on_the_trail(client, superuser, make_user):
    person = make_user("administrator")
    post(client, person, is_superuser=True, is_staff=True)
    assert reload(person).is_superuser
    post(client, reload(person), is_superuser=False, is_staff=False)
    assert not reload(person).is_superuser
    granted, removed = privilege_events()
    assert (granted.before, granted.after) == (
        {"is_superuser": False, "is_staff": False},
        {"is_superuser": True, "is_staff": True},
    )
    assert (removed.before, removed.after) == (granted.after, granted.before)


def test_a_superuser_cannot_change_their_own_roles_or_flags(client, superuser):
    post(client, superuser, roles=["lead"], active=False, first_name="R")
    superuser = reload(superuser)
    assert superuser.first_name == "R"
    assert roles_of(superuser) == set()
    assert (superuser.is_superuser, superuser.is_active) == (True, True)
    assert privilege_events() == []


def test_a_person_added_in_the_admin_is_on_the_trail(client, administrator):
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302
    (event,) = privilege_events()
    assert (event.verb, event.actor_username, event.target_repr) == (
        "person.created",
        "ada",
        "newcomer",
    )
    assert event.after == {"roles": [], "is_superuser": False, "is_staff": False, "is_active": True}


def test_roles_are_read_only_in_the_admin(client, superuser):
    lead = Group.objects.get(name="lead")
    assert client.get(f"/admin/auth/group/{lead.pk}/change/").status_code == 200
    assert client.post(f"/admin/auth/group/{lead.pk}/change/", {"name": "x"}).status_code == 403
    assert client.post(f"/admin/auth/group/{lead.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/auth/group/add/").status_code == 403
    assert Group.objects.filter(name="lead").exists()


def test_an_administrator_setting_someones_password_is_on_the_trail(
    client, administrator, make_user
):
    person = make_user("investigator", username="ivy")
    response = client.post(
        f"/admin/auth/user/{person.pk}/password/",
        {
            "set_usable_password": "true",
            "password1": "new-pass-phrase-7",
            "password2": "new-pass-phrase-7",
        },
    )
    assert response.status_code == 302
    assert reload(person).check_password("new-pass-phrase-7")
    (event,) = privilege_events()
    assert (event.verb, event.actor_username, event.target_repr) == (
        "person.password_set",
        "ada",
        "ivy",
    )
    assert event.after == {"usable_password": True}
    assert "new-pass-phrase-7" not in str(event.after) + event.reason
