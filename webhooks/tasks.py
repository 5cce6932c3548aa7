"""Celery tasks of the event webhooks (docs/webhooks.md)."""

from __future__ import annotations

import logging

from celery import current_app, shared_task
from django.utils import timezone

from audit.followers import catch_up
from audit.models import AuditEvent
from webhooks.models import DeliveryState, DispatchedEvent, WebhookDelivery, WebhookEndpoint
from webhooks.sending import attempt

logger = logging.getLogger(__name__)

DISPATCH = "webhooks.tasks.dispatch"
DELIVER = "webhooks.tasks.deliver"
# Deliveries one sweep re-queues; the next sweep takes the rest.
SWEEP_LIMIT = 500


def enqueue(delivery_id: int, countdown: float = 0) -> None:
    """Queue one attempt; a broker outage leaves it to the ``retry_due`` sweep."""
    try:
        current_app.send_task(DELIVER, args=[delivery_id], countdown=countdown or None)
    except Exception:
        logger.exception("webhook delivery %s was not queued", delivery_id)


@shared_task(name=DISPATCH)
def dispatch(event_id: int) -> int:
    """One delivery per active endpoint subscribed to the event's verb; how many are new.

    A redelivered dispatch finds its deliveries made (the unique key) and
    queues nothing again.
    """
    event = AuditEvent.objects.filter(pk=event_id).only("pk", "verb").first()
    if event is None:
        return 0
    new = _make_deliveries(event)
    DispatchedEvent.objects.bulk_create([DispatchedEvent(event_id=event.pk)], ignore_conflicts=True)
    for delivery_id in new:
        enqueue(delivery_id)
    return len(new)


def _make_deliveries(event: AuditEvent) -> list[int]:
    """The ids of the deliveries made now for ``event``, one per subscribed endpoint."""
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(active=True, event_kinds__contains=[event.verb]).values_list(
            "pk", flat=True
        )
    )
    if not endpoint_ids:
        return []
    existing = set(
        WebhookDelivery.objects.filter(event_id=event.pk, endpoint_id__in=endpoint_ids).values_list(
            "endpoint_id", flat=True
        )
    )
    # ignore_conflicts: two dispatches at once insert each row once; should both
    # queue it, the claim in webhooks.sending lets one attempt through.
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint_id=pk, event_id=event.pk, verb=event.verb)
            for pk in endpoint_ids
            if pk not in existing
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookDelivery.objects.filter(event_id=event.pk, endpoint_id__in=endpoint_ids)
        .exclude(endpoint_id__in=existing)
        .values_list("pk", flat=True)
    )


@shared_task(name=DELIVER)
def deliver(delivery_id: int) -> None:
    """One attempt of a delivery; after a failure short of the last, its retry is queued."""
    wait = attempt(delivery_id)
    if wait is not None:
        enqueue(delivery_id, countdown=wait)


@shared_task(name="webhooks.tasks.retry_due")
def retry_due() -> int:
    """Re-queue pending deliveries whose attempt is due: a lost message is not a lost event."""
    due = list(
        WebhookDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    for delivery_id in due:
        enqueue(delivery_id)
    return len(due)


@shared_task(name="webhooks.tasks.sweep_undispatched")
def sweep_undispatched() -> int:
    """Queue again the dispatch of recent events an active endpoint wants but
    that were never dispatched (their message was lost while the broker was down)."""
    wanted = set()
    for kinds in WebhookEndpoint.objects.filter(active=True).values_list("event_kinds", flat=True):
        wanted.update(kinds)
    return catch_up(DispatchedEvent, wanted, DISPATCH)
