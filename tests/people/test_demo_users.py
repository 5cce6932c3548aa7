import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from people.roles import Role, roles_of

pytestmark = pytest.mark.django_db


def signs_in(username: str, password: str):
    """The user these credentials sign in, as the login page would (axes needs the request)."""
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=username, password=password)


def credentials(path) -> dict[str, tuple[str, str]]:
    rows = re.findall(r"^(\w+)\s+(\S+)\s+(\S+)$", path.read_text(), re.M)
    return {role: (username, password) for role, username, password in rows}


def test_it_creates_one_user_per_role_who_can_log_in(settings, tmp_path):
    settings.DEBUG = True
    file = tmp_path / "demo-users.txt"
    call_command("demo_users", file=file, stdout=io.StringIO())
    found = credentials(file)
    assert set(found) == {str(role) for role in Role}
    for role, (username, password) in found.items():
        user = signs_in(username, password)
        assert user is not None
        assert roles_of(user) == {role}
    assert file.stat().st_mode & 0o777 == 0o600


def test_a_second_run_keeps_the_passwords_and_prints_them(settings, tmp_path, capsys):
    settings.DEBUG = True
    file = tmp_path / "demo-users.txt"
    call_command("demo_users", file=file)
    first = credentials(file)
    call_command("demo_users", file=file)
    assert credentials(file) == first
    printed = capsys.readouterr().out
    assert all(password in printed for _, password in first.values())


def test_a_lost_file_gives_existing_users_new_passwords_that_work(settings, tmp_path):
    settings.DEBUG = True
    file = tmp_path / "demo-users.txt"
    call_command("demo_users", file=file, stdout=io.StringIO())
    file.unlink()
    call_command("demo_users", file=file, stdout=io.StringIO())
    username, password = credentials(file)["lead"]
    assert signs_in(username, password) is not None


def test_it_refuses_to_run_in_production(settings, tmp_path):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("demo_users", file=tmp_path / "demo-users.txt")
