import pytest
from django.contrib.auth.models import Group

from people.roles import Role


@pytest.fixture
def make_user(django_user_model):
    """Create a user holding the given roles: ``make_user("lead", username="lee")``."""

    def make(*roles: Role | str, username: str | None = None, **extra):
        name = username or ("_".join(str(r) for r in roles) or "noroles") + f"_{make.count}"
        make.count += 1
        user = django_user_model.objects.create_user(
            username=name, password="pw-for-tests-1", **extra
        )
        for role in roles:
            user.groups.add(Group.objects.get(name=str(role)))
        return user

    make.count = 0
    return make
