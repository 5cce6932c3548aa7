import pytest

from audit.models import AuditEvent
from notifications.delivery import deliver_event
from notifications.models import Notification
from tests.enforcement.conftest import platform, webhook  # noqa: F401 - shared fixtures


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(make_user):
    """An investigator, three leads, a manager, and two holders of each escalation level."""

    class Cast:
        ivy = make_user("investigator", username="ivy", email="ivy@example.org")
        ian = make_user("investigator", username="ian", email="ian@example.org")
        lee = make_user("lead", username="lee", email="lee@example.org")
        lou = make_user("lead", username="lou", email="lou@example.org")
        lin = make_user("lead", username="lin", email="lin@example.org")
        max = make_user("manager", username="max", email="max@example.org")
        pat = make_user("policy", username="pat", email="pat@example.org")
        leg = make_user("legal", username="leg", email="leg@example.org")
        lex = make_user("legal", username="lex", email="lex@example.org")
        eve = make_user("executive", username="eve", email="eve@example.org")

    return Cast


def deliver_latest(verb: str) -> dict[str, str]:
    """Deliver the newest event of ``verb`` as the task does; who got which kind."""
    event = AuditEvent.objects.filter(verb=verb).order_by("-sequence").first()
    assert event is not None, f"no {verb} event"
    deliver_event(event.pk)
    return told(event.pk)


def told(event_id: int) -> dict[str, str]:
    return dict(
        Notification.objects.filter(event_id=event_id).values_list("person__username", "kind")
    )
