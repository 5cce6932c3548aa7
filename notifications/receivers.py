"""Receivers of the workflow's signals: each committed event is queued for delivery.

Cases and enforcement send their signals (``cases.signals.case_changed``,
``enforcement.signals.action_changed``) once a change has committed and never
import this app; delivery runs on a worker (``notifications.tasks.deliver``).
"""

from __future__ import annotations

import logging

from celery import current_app

from cases.signals import case_changed
from enforcement.signals import action_changed
from notifications.tasks import DELIVER

logger = logging.getLogger(__name__)


def enqueue_delivery(sender, *, event_id: int | None = None, **kwargs) -> None:
    """Queue the event for delivery; a change without an event tells nobody."""
    if event_id is None:
        return
    try:
        current_app.send_task(DELIVER, args=[event_id])
    except Exception:
        # The change is committed; a broker outage must not make it an error,
        # and notifications.tasks.sweep_undelivered queues it again later.
        logger.exception("notifications for audit event %s were not queued", event_id)


def connect() -> None:
    case_changed.connect(enqueue_delivery, dispatch_uid="notifications.case_changed")
    action_changed.connect(enqueue_delivery, dispatch_uid="notifications.action_changed")
