"""An event whose on-commit message was lost (the broker down at commit) is
delivered by beat's sweep, once; one already delivered is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import current_app

from audit import followers
from audit.models import AuditEvent
from cases.workflow import add_note, assign, escalate
from notifications.models import DeliveredEvent
from notifications.tasks import DELIVER, deliver, sweep_undelivered
from tests.cases.factories import make_case
from tests.notifications.conftest import told

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """What the sweep queues, instead of the broker; and no grace for the normal path."""
    queued: list[tuple[str, list]] = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args=None, **kw: queued.append((name, args))
    )
    monkeypatch.setattr(followers, "SWEEP_GRACE", timedelta(0))
    return queued


def latest(verb: str) -> AuditEvent:
    return AuditEvent.objects.filter(verb=verb).order_by("-sequence").first()


def test_the_sweep_delivers_a_lost_event_once_and_leaves_a_delivered_one(cast, sent):
    # No on-commit callback runs in this test: every step's message is lost...
    escalate(make_case(status="investigating"), "legal", actor=cast.ivy, reason="Counsel")
    lost = latest("case.escalated")
    assign(make_case(status="investigating"), cast.ian, actor=cast.lee)
    # ...but this one was delivered by the normal path.
    deliver(latest("case.assigned").pk)

    assert sweep_undelivered() == 1
    assert sent == [(DELIVER, [lost.pk])]
    deliver(lost.pk)
    assert told(lost.pk) == {"leg": "case_escalated", "lex": "case_escalated"}

    sent.clear()
    assert sweep_undelivered() == 0
    assert sent == []


def test_the_sweep_ignores_steps_that_tell_nobody_and_events_beyond_its_window(
    cast, sent, monkeypatch
):
    case = make_case(status="investigating")
    add_note(case, "Seen the same prompts last week.", actor=cast.ivy)
    assert sweep_undelivered() == 0

    escalate(case, "policy", actor=cast.ivy, reason="Terms")
    monkeypatch.setattr(followers, "SWEEP_WINDOW", timedelta(0))
    assert sweep_undelivered() == 0
    assert sent == []
    assert not DeliveredEvent.objects.exists()


def test_a_step_committed_while_the_broker_is_down_stands_and_the_loss_is_logged(
    cast, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broker_down(name, args=None, **kwargs):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    case = make_case(status="investigating")
    with django_capture_on_commit_callbacks(execute=True):
        assign(case, cast.ivy, actor=cast.lee)
    case.refresh_from_db()
    assert case.assignee == cast.ivy
    event = latest("case.assigned")
    # Both followers tried, and each says which event it could not queue.
    logged = [r.getMessage() for r in caplog.records if "were not queued" in r.getMessage()]
    assert sorted(logged) == [
        f"notifications for audit event {event.pk} were not queued",
        f"webhooks for audit event {event.pk} were not queued",
    ]
