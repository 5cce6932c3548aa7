import pytest
from django.contrib.auth.models import Group, User

from cases.models import Case, CaseStatus, Resolution

# Every kind of person the workflow must tell apart: each role alone, a
# superuser holding no role, and a signed-in user holding none.
ROLES = ("investigator", "lead", "manager", "policy", "legal", "executive", "administrator")
PEOPLE = (*ROLES, "superuser", "nobody")


@pytest.fixture
def person(db):
    """``person("lead")`` -> a user holding that role; "superuser" and "nobody" hold none.

    Users get no password: hashing one per test would dominate the run time.
    """
    counter = iter(range(1_000_000))

    def make(kind: str = "nobody", **extra) -> User:
        extra.setdefault("is_superuser", kind == "superuser")
        user = User.objects.create(username=f"{kind}_{next(counter)}", **extra)
        if kind in ROLES:
            user.groups.add(Group.objects.get_or_create(name=kind)[0])
        return user

    return make


@pytest.fixture
def make_case(db):
    """A case already in ``status``; an escalated case at ``level``, a closed one resolved."""

    def make(status: str = CaseStatus.NEW, level: str = "", **fields) -> Case:
        if status == CaseStatus.ESCALATED:
            fields.setdefault("escalation_level", level or "policy")
        if status == CaseStatus.CLOSED:
            fields.setdefault("resolution", Resolution.BENIGN)
        fields.setdefault("title", "Templated CoT elicitation")
        return Case.objects.create(status=status, **fields)

    return make
