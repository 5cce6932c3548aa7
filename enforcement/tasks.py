"""Celery tasks for enforcement. Task bodies are idempotent: the database, not
the broker, says what is left to do (see ``enforcement.execution``)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from enforcement.execution import is_running, run_action
from enforcement.models import Action, ActionState, TargetState
from enforcement.queue import enqueue_action
from enforcement.workflow import expire_due_actions

logger = logging.getLogger("dossier.enforcement")


@shared_task(name="enforcement.tasks.process_action", ignore_result=True, acks_late=True)
def process_action(action_id: int) -> str:
    """Carry out whatever the action has pending: apply after approval, revert after a revert."""
    outcome = run_action(action_id)
    logger.info("action %s: %s", action_id, outcome)
    return outcome


@shared_task(name="enforcement.tasks.sweep", ignore_result=True)
def sweep() -> dict:
    """Beat's backstop: expire due actions, and enqueue actions with due work
    that no runner holds (a lost message, a killed worker, a backoff elapsed)."""
    expired = expire_due_actions()
    now = timezone.now()
    due = (
        Action.objects.filter(
            state__in=(ActionState.APPROVED, ActionState.EXECUTING, ActionState.REVERTING)
        )
        .filter(
            Q(
                targets__state__in=(TargetState.PENDING, TargetState.REVERT_PENDING),
                targets__next_attempt_at__isnull=True,
            )
            | Q(
                targets__state__in=(TargetState.PENDING, TargetState.REVERT_PENDING),
                targets__next_attempt_at__lte=now,
            )
            | Q(targets__state__in=(TargetState.EXECUTING, TargetState.REVERTING))
            | Q(state=ActionState.APPROVED)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    enqueued = []
    for action_id in due:
        if not is_running(action_id):
            enqueue_action(action_id)
            enqueued.append(action_id)
    return {"expired": expired, "enqueued": enqueued}
