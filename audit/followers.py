"""Events whose on-commit message was lost, for the apps that follow the trail.

Notifications and webhooks learn of each committed step from a message queued
on commit; when the broker is down at that moment the step still succeeds and
the message is gone. Each follower records the events it has handled, and its
beat sweep asks here for the recent ones it has not, to queue them again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from celery import current_app
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit.events import CASE_LABEL
from audit.models import AuditEvent, HandledEvent

logger = logging.getLogger(__name__)

# How far back a sweep looks, and how long the normal path has before an
# event counts as lost (a queued message may still be on its way).
SWEEP_WINDOW = timedelta(hours=24)
SWEEP_GRACE = timedelta(minutes=2)
# Events one sweep re-queues; the next sweep takes the rest.
SWEEP_LIMIT = 500


def case_of(event: AuditEvent) -> int | None:
    """The case an event is about: its target when a case, else the first it concerns."""
    if event.target_type == CASE_LABEL and event.target_id.isdigit():
        return int(event.target_id)
    return event.case_ids[0] if event.case_ids else None


def catch_up(handled: type[HandledEvent], verbs: Iterable[str], task: str) -> int:
    """Queue ``task(event_id)`` again for the recent events of ``verbs`` that have
    no ``handled`` record (their message was lost); how many. Records older than
    any sweep reads are dropped."""
    lost = unhandled_events(handled, verbs)
    for event_id in lost:
        current_app.send_task(task, args=[event_id])
    if lost:
        logger.warning("re-queued %s for %s events whose message was lost", task, len(lost))
    handled.objects.filter(handled_at__lt=timezone.now() - 2 * SWEEP_WINDOW).delete()
    return len(lost)


def unhandled_events(handled: type[HandledEvent], verbs: Iterable[str]) -> list[int]:
    """Ids, oldest first, of recent events of ``verbs`` with no ``handled`` record."""
    verbs = list(verbs)
    if not verbs:
        return []
    now = timezone.now()
    return list(
        AuditEvent.objects.filter(
            occurred_at__gte=now - SWEEP_WINDOW,
            occurred_at__lt=now - SWEEP_GRACE,
            verb__in=verbs,
        )
        .exclude(Exists(handled.objects.filter(event_id=OuterRef("pk"))))
        .order_by("occurred_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
