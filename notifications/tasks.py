"""Celery tasks of notifications (docs/notifications.md)."""

from __future__ import annotations

from celery import shared_task

from audit.followers import catch_up
from notifications.delivery import deliver_event
from notifications.models import DeliveredEvent
from notifications.recipients import NOTIFIED_VERBS

DELIVER = "notifications.tasks.deliver"


@shared_task(
    name=DELIVER,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def deliver(event_id: int) -> int:
    """Write an event's inbox entries and send their emails; how many emails were sent."""
    sent = deliver_event(event_id)
    DeliveredEvent.objects.bulk_create([DeliveredEvent(event_id=event_id)], ignore_conflicts=True)
    return sent


@shared_task(name="notifications.tasks.sweep_undelivered")
def sweep_undelivered() -> int:
    """Queue again the recent events nobody was told of (their message was lost
    while the broker was down); delivering twice tells nobody twice."""
    return catch_up(DeliveredEvent, NOTIFIED_VERBS, DELIVER)
