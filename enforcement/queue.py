"""Where enforcement enqueues its Celery work.

Tasks are sent by name, so this module imports no task: the workflow and the
sweeper call it, ``enforcement.tasks`` imports the workflow and the runner,
and nothing loops back. A lost message delays an action, never loses it: the
sweeper enqueues every action with due work that no runner holds.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction

PROCESS_ACTION = "enforcement.tasks.process_action"


def enqueue_action(action_id: int) -> None:
    """Ask a worker to carry out whatever the action has pending, now."""
    current_app.send_task(PROCESS_ACTION, args=[action_id])


def enqueue_execution(action_id: int) -> None:
    """``enqueue_action`` once the current transaction commits."""
    # robust: with the broker down the step is still committed; the sweeper
    # finds the action and enqueues it later. A lambda, not a partial: Django
    # names the failing callback by its __qualname__, which a partial lacks.
    transaction.on_commit(lambda: enqueue_action(action_id), robust=True)
