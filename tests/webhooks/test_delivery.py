"""Event webhooks against a real HTTP server: what is sent, signed, once; retries;
a TLP:RED case's body (docs/webhooks.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit import followers
from audit.models import AuditEvent
from cases.models import Case, CaseStatus, Tlp
from cases.workflow import escalate, set_tlp
from tests.cases.factories import make_case
from webhooks import tasks
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def escalate_committed(case, actor, django_capture_on_commit_callbacks, reason="needs counsel"):
    """Escalate as a request would: the commit sends the signal that queues the dispatch."""
    with django_capture_on_commit_callbacks(execute=True):
        escalate(case, "legal", actor=actor, reason=reason)
    return AuditEvent.objects.filter(verb="case.escalated").order_by("-sequence").first()


def test_an_escalation_reaches_a_subscribed_endpoint_once_signed(
    cast, receiver, endpoint, queue, django_capture_on_commit_callbacks, settings
):
    chat = endpoint("case.escalated", path="/chat")
    endpoint("case.closed", "action.approved", path="/pager")
    case = make_case(status="investigating", title="Proxy farm 7")
    event = escalate_committed(case, cast.ivy, django_capture_on_commit_callbacks)
    assert tasks.DISPATCH in queue.names()
    queue.run()

    (received,) = receiver.received("/chat")
    assert receiver.received("/pager") == []
    assert received.verifies_with(chat.secret)
    assert not received.verifies_with("another secret")
    delivery = WebhookDelivery.objects.get()
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Dossier-Event"] == "case.escalated"
    assert received.headers["Dossier-Delivery"] == str(delivery.pk)
    assert received.json == {
        "event_id": event.pk,
        "verb": "case.escalated",
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "case_ids": [case.pk],
        "case": {"id": case.pk, "url": f"{settings.SITE_URL}/cases/{case.pk}/"},
        "restricted": False,
        "target": {"type": "cases.case", "id": str(case.pk), "label": f"#{case.pk} Proxy farm 7"},
        "actor": "ivy",
        "reason": "needs counsel",
        "state": "escalated",
    }
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)
    assert delivery.delivered_at is not None

    # The same event dispatched again (a redelivered task): nothing new is sent.
    assert tasks.dispatch(event.pk) == 0
    queue.run()
    assert len(receiver.received("/chat")) == 1
    assert WebhookDelivery.objects.count() == 1


def test_an_inactive_endpoint_gets_nothing(cast, receiver, endpoint, queue):
    endpoint("case.escalated", active=False)
    case = make_case(status="investigating")
    escalate(case, "legal", actor=cast.ivy, reason="needs counsel")
    event = AuditEvent.objects.get(verb="case.escalated")
    assert tasks.dispatch(event.pk) == 0
    assert receiver.requests == []


def test_a_failing_endpoint_is_retried_then_recorded_failing_and_the_step_stands(
    cast, receiver, endpoint, queue, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    receiver.status = 500
    endpoint("case.escalated")
    case = make_case(status="investigating")
    event = escalate_committed(case, cast.ivy, django_capture_on_commit_callbacks)

    # The step is taken and recorded before any endpoint is called.
    assert receiver.requests == []
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ESCALATED
    assert event is not None

    queue.run()
    assert len(receiver.received()) == 4
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failing"
    assert delivery.attempts == 4
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500"
    # Every attempt carried the same delivery, signed afresh.
    assert {r.headers["Dossier-Delivery"] for r in receiver.received()} == {str(delivery.pk)}


def test_a_retry_succeeds_once_the_endpoint_recovers(cast, receiver, endpoint, queue):
    receiver.status = 503
    endpoint("case.escalated")
    case = make_case(status="investigating")
    escalate(case, "legal", actor=cast.ivy, reason="needs counsel")
    tasks.dispatch(AuditEvent.objects.get(verb="case.escalated").pk)
    _name, args, _countdown = queue.sent.pop()
    tasks.deliver(*args)  # the first attempt: 503
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert queue.sent[-1][2] == pytest.approx(0.01)  # WEBHOOK_RETRY_BASE, the first wait
    receiver.status = 200
    queue.run()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)


def test_an_unreachable_endpoint_records_the_connection_error(cast, endpoint, queue, receiver):
    hook = endpoint("case.escalated")
    receiver.stop()
    case = make_case(status="investigating")
    escalate(case, "legal", actor=cast.ivy, reason="needs counsel")
    tasks.dispatch(AuditEvent.objects.get(verb="case.escalated").pk)
    queue.run()
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert delivery.state == "failing" and delivery.last_status_code is None
    assert delivery.last_error.startswith("ConnectionError")


def test_a_claimed_attempt_is_not_sent_twice(cast, receiver, endpoint, queue):
    endpoint("case.escalated")
    case = make_case(status="investigating")
    escalate(case, "legal", actor=cast.ivy, reason="needs counsel")
    tasks.dispatch(AuditEvent.objects.get(verb="case.escalated").pk)
    (delivery_id,) = WebhookDelivery.objects.values_list("pk", flat=True)
    from webhooks.sending import claim

    assert claim(delivery_id) is not None
    tasks.deliver(delivery_id)  # a second worker with the same message: not due
    assert receiver.requests == []


def test_the_sweep_requeues_due_deliveries(cast, receiver, endpoint, queue):
    endpoint("case.escalated")
    case = make_case(status="investigating")
    escalate(case, "legal", actor=cast.ivy, reason="needs counsel")
    tasks.dispatch(AuditEvent.objects.get(verb="case.escalated").pk)
    queue.sent.clear()  # the message is lost
    assert tasks.retry_due() == 1
    queue.run()
    assert len(receiver.received()) == 1
    assert tasks.retry_due() == 0


def test_a_red_cases_body_has_its_number_and_link_only(cast, receiver, endpoint, queue, settings):
    endpoint("case.escalated")
    case = make_case(status="investigating", title="Partner leak at Acme")
    set_tlp(case, Tlp.RED, actor=cast.lee, reason="partner data")
    escalate(case, "legal", actor=cast.lee, reason="Acme counsel asks")
    event = AuditEvent.objects.get(verb="case.escalated")
    tasks.dispatch(event.pk)
    queue.run()
    (received,) = receiver.received()
    assert b"Acme" not in received.body
    assert received.json == {
        "event_id": event.pk,
        "verb": "case.escalated",
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "case_ids": [case.pk],
        "case": {"id": case.pk, "url": f"{settings.SITE_URL}/cases/{case.pk}/"},
        "restricted": True,
    }


def test_an_endpoint_switched_off_before_the_attempt_gets_nothing(cast, receiver, endpoint, queue):
    hook = endpoint("case.escalated")
    case = make_case(status="investigating")
    escalate(case, "legal", actor=cast.ivy, reason="needs counsel")
    tasks.dispatch(AuditEvent.objects.get(verb="case.escalated").pk)
    hook.active = False
    hook.save()
    queue.run()
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("failing", 0)


def test_an_event_whose_dispatch_was_lost_is_sent_by_the_sweep_once(
    cast, receiver, endpoint, queue, monkeypatch
):
    monkeypatch.setattr(followers, "SWEEP_GRACE", timedelta(0))
    endpoint("case.escalated", path="/chat")
    # No on-commit callback runs here: the dispatch's message is lost.
    escalate(make_case(status="investigating"), "legal", actor=cast.ivy, reason="r")
    assert queue.sent == []

    assert tasks.sweep_undispatched() == 1
    queue.run()
    assert len(receiver.received("/chat")) == 1
    assert tasks.sweep_undispatched() == 0
    assert queue.run() == 0
