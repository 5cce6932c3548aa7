"""Receivers of the workflow's signals: each committed event is queued for the
event webhooks (docs/webhooks.md).

Cases and enforcement send ``cases.signals.case_changed`` and
``enforcement.signals.action_changed`` once a change has committed and never
import this app; which endpoints want the event, and sending it, happen on a
worker (``webhooks.tasks.dispatch``), so the workflow never waits on an endpoint.
"""

from __future__ import annotations

import logging

from celery import current_app

from cases.signals import case_changed
from enforcement.signals import action_changed
from webhooks.tasks import DISPATCH

logger = logging.getLogger(__name__)


def enqueue_dispatch(sender, *, event_id: int | None = None, **kwargs) -> None:
    """Queue the event's dispatch; a change without an event is sent nowhere."""
    if event_id is None:
        return
    try:
        current_app.send_task(DISPATCH, args=[event_id])
    except Exception:
        # The change is committed; a broker outage must not make it an error.
        logger.exception("webhooks for audit event %s were not queued", event_id)


def connect() -> None:
    case_changed.connect(enqueue_dispatch, dispatch_uid="webhooks.case_changed")
    action_changed.connect(enqueue_dispatch, dispatch_uid="webhooks.action_changed")
