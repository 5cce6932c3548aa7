"""people.privileges: every change of a person's roles and flags, whatever makes it, is
on the trail; the rules hold for callers other than the admin too."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from audit.models import AuditEvent
from people.privileges import PrivilegesRefused, change_privileges
from people.roles import roles_of

pytestmark = pytest.mark.django_db


def events(verb: str):
    return list(AuditEvent.objects.filter(verb=verb).order_by("sequence"))


def test_an_administrator_making_a_lead_is_refused_and_the_attempt_is_on_the_trail(make_user):
    administrator = make_user("administrator", username="ada")
    person = make_user("investigator", username="ivy")
    with pytest.raises(PrivilegesRefused, match="Only a superuser gives or takes the role lead"):
        change_privileges(person.pk, actor=administrator, roles=["investigator", "lead"])
    assert roles_of(User.objects.get(pk=person.pk)) == {"investigator"}
    assert events("person.privileges_changed") == []
    (refused,) = events("person.privileges_change_refused")
    assert (refused.actor_username, refused.target_repr) == ("ada", "ivy")
    assert refused.after == {"roles": ["investigator", "lead"]}


def test_nobody_raises_their_own_privileges(make_user):
    root = make_user(is_superuser=True, is_staff=True)
    with pytest.raises(PrivilegesRefused, match="Nobody changes their own"):
        change_privileges(root.pk, actor=root, roles=["lead"])
    assert roles_of(User.objects.get(pk=root.pk)) == set()


def test_a_person_without_the_administrator_role_changes_nobody(make_user):
    lead = make_user("lead")
    person = make_user()
    with pytest.raises(PrivilegesRefused):
        change_privileges(person.pk, actor=lead, roles=["investigator"])


def test_a_change_that_changes_nothing_writes_no_event(make_user):
    root = make_user(is_superuser=True, is_staff=True)
    person = make_user("investigator")
    change_privileges(person.pk, actor=root, roles=["investigator"], is_active=True)
    assert events("person.privileges_changed") == []


def test_createsuperuser_puts_the_new_superuser_on_the_trail(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-pass-phrase-9")
    call_command(
        "createsuperuser", "--noinput", username="root", email="r@example.org", stdout=io.StringIO()
    )
    (event,) = events("person.created")
    assert (event.system, event.target_repr) == ("manage.py createsuperuser", "root")
    assert event.after == {"roles": [], "is_superuser": True, "is_staff": True, "is_active": True}


def test_demo_users_puts_each_role_it_gives_on_the_trail(settings, tmp_path):
    settings.DEBUG = True
    call_command("demo_users", file=tmp_path / "demo-users.txt", stdout=io.StringIO())
    changed = events("person.privileges_changed")
    assert len(changed) == len(events("person.created")) == 7
    lead = next(event for event in changed if event.target_repr == "demo-lead")
    assert (lead.system, lead.before, lead.after) == (
        "manage.py demo_users",
        {"roles": []},
        {"roles": ["lead"]},
    )
    # A second run changes no one's roles, and writes nothing.
    call_command("demo_users", file=tmp_path / "demo-users.txt", stdout=io.StringIO())
    assert len(events("person.privileges_changed")) == 7
