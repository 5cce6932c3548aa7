"""Signals enforcement sends once a step on an action has committed.

``action_changed`` is the enforcement counterpart of ``cases.signals.case_changed``:
receivers (notifications, webhooks) run after the transaction, so they never
see a step that was rolled back, and a failing receiver cannot undo one that
was taken. ``follow_committed_steps`` is how those apps listen to both.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction
from django.dispatch import Signal

from audit.models import AuditEvent
from cases.signals import case_changed
from enforcement.models import Action

logger = logging.getLogger(__name__)

# Sent with ``action_id``, ``case_id``, ``verb`` (the audit verb of the step)
# and ``event_id`` (the audit event that records it).
action_changed = Signal()


def publish_action_on_commit(action: Action, event: AuditEvent) -> None:
    """Send ``action_changed`` for the step ``event`` records, once it commits."""
    action_id, case_id, verb, event_id = action.pk, action.case_id, event.verb, event.pk
    # robust: a failing receiver must not turn a committed step into an error.
    transaction.on_commit(
        lambda: action_changed.send(
            sender=Action, action_id=action_id, case_id=case_id, verb=verb, event_id=event_id
        ),
        robust=True,
    )


def follow_committed_steps(task: str, follower: str) -> None:
    """Queue ``task(event_id)`` for each committed step of a case or an action.

    The work runs on a worker, so a step never waits on its followers. A step
    that records no event is followed by nothing. ``follower`` names the app
    in the log and in the receivers' ids (connecting twice connects once).
    """

    def enqueue(sender, *, event_id: int | None = None, **kwargs) -> None:
        if event_id is None:
            return
        try:
            current_app.send_task(task, args=[event_id])
        except Exception:
            # The step is committed; a broker outage must not make it an error.
            # The follower's sweep (audit.followers.catch_up) queues it again.
            logger.exception("%s for audit event %s were not queued", follower, event_id)

    # weak=False: the receiver is this closure, which nothing else keeps alive.
    case_changed.connect(enqueue, weak=False, dispatch_uid=f"{follower}.case_changed")
    action_changed.connect(enqueue, weak=False, dispatch_uid=f"{follower}.action_changed")
