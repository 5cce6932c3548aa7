"""Celery tasks of notifications (docs/notifications.md)."""

from __future__ import annotations

from celery import shared_task

from notifications.delivery import deliver_event


@shared_task(
    name="notifications.tasks.deliver",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def deliver(event_id: int) -> int:
    """Write an event's inbox entries and send their emails; how many emails were sent."""
    return deliver_event(event_id)
