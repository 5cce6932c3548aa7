import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def evidence_root(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.EVIDENCE_ROOT


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_role(api, make_user):
    """An API client signed in (by session) as a new user holding ``roles``."""

    def login(*roles, **extra):
        user = make_user(*roles, **extra)
        api.force_authenticate(user=None)
        api.force_login(user)
        api.user = user
        return api

    return login
