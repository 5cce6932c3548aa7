"""Signals enforcement sends once a step on an action has committed.

``action_changed`` is the enforcement counterpart of ``cases.signals.case_changed``:
receivers (notifications) run after the transaction, so they never see a step
that was rolled back, and a failing receiver cannot undo one that was taken.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

from audit.models import AuditEvent
from enforcement.models import Action

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
