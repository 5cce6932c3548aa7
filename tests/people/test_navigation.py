"""Each role sees the navigation of its role: every page it may open, nothing else."""

import re

import pytest
from django.urls import NoReverseMatch, reverse

from people.navigation import NAVIGATION
from people.roles import Role

pytestmark = pytest.mark.django_db


def navigation_labels(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(1)) if nav else []


def resolves(url_name: str) -> bool:
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True


def expected_for(role: Role) -> list[str]:
    return [e.label for e in NAVIGATION if role in e.roles and resolves(e.url_name)]


def signed_in_home(client, user) -> str:
    client.force_login(user)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_exactly_the_entries_for_its_role(client, make_user, role):
    labels = navigation_labels(signed_in_home(client, make_user(role)))
    assert labels == expected_for(role)


@pytest.mark.parametrize("role", list(Role))
def test_every_link_in_a_roles_navigation_opens_for_that_role(client, make_user, role):
    client.force_login(make_user(role))
    html = client.get("/", follow=True).content.decode()
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    for url in re.findall(r'href="([^"]+)"', nav):
        assert client.get(url).status_code == 200, url


def test_case_workers_see_the_queue_and_not_the_admin(client, make_user):
    for role in ("investigator", "lead", "manager", "policy", "legal", "executive"):
        labels = navigation_labels(signed_in_home(client, make_user(role)))
        assert "Queue" in labels and "Admin" not in labels, role


def test_the_administrator_sees_the_admin_and_not_the_queue(client, make_user):
    labels = navigation_labels(signed_in_home(client, make_user("administrator")))
    assert "Admin" in labels and "Queue" not in labels


def test_a_user_holding_two_roles_sees_the_entries_of_both(client, make_user):
    labels = navigation_labels(signed_in_home(client, make_user("investigator", "administrator")))
    assert "Queue" in labels and "Admin" in labels
    assert len(labels) == len(set(labels))


def test_a_user_without_roles_sees_no_entries(client, make_user):
    assert navigation_labels(signed_in_home(client, make_user())) == []


def test_a_superuser_without_roles_sees_no_entries(client, make_user):
    user = make_user(is_superuser=True, is_staff=True)
    assert navigation_labels(signed_in_home(client, user)) == []


def test_every_entry_names_a_page_that_exists():
    assert [e.url_name for e in NAVIGATION if not resolves(e.url_name)] == []
