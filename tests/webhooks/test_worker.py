"""Through a real worker on Redis: an escalation's commit reaches the endpoint,
and an endpoint answering 500 is retried with backoff until it is recorded
failing, while the escalation itself was done and recorded at once."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from cases.models import Case, CaseStatus
from cases.workflow import escalate
from tests.cases.factories import make_case
from tests.ingestion.worker.conftest import (  # noqa: F401 - shared fixtures
    redis_broker,
    start_worker,
    wait_for,
)
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.integration


def test_a_failing_endpoint_is_retried_by_the_worker_and_recorded_failing(
    start_worker,  # noqa: F811
    cast,
    receiver,
    endpoint,
):
    receiver.status = 500
    hook = endpoint("case.escalated")
    start_worker(WEBHOOK_RETRY_BASE="0.05", WEBHOOK_MAX_ATTEMPTS="3", WEBHOOK_TIMEOUT="2")
    case = make_case(status="investigating", title="Proxy farm 12")

    escalate(case, "legal", actor=cast.ivy, reason="needs counsel")  # committed: queued

    # The step is done and on the trail; the endpoint is the worker's business.
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ESCALATED
    event = AuditEvent.objects.get(verb="case.escalated")
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(endpoint=hook, state="failing").first(),
        timeout=30,
        what="the worker to give up on the endpoint",
    )
    assert (delivery.event_id, delivery.attempts, delivery.last_status_code) == (event.pk, 3, 500)
    received = receiver.received()
    assert len(received) == 3
    assert all(r.verifies_with(hook.secret) for r in received)
