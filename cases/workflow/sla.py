"""The SLA clock of a case: due by severity, paused, resumed and breached.

docs/case-workflow.md ("SLA") describes the rules. The workflow steps that
move the clock call these helpers with the case locked, inside their own
transaction, and save the fields they return with ``touch``; the step's one
audit event covers the move (``apply_status`` moves it for escalations).
``cases.workflow.breaches`` marks the clocks that passed their due time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cases.models import Case

# Why a clock is stopped; a case stays paused while any reason holds.
AWAITING_APPROVAL = "awaiting_approval"
AWAITING_HAND_BACK = "awaiting_hand_back"


def due_for(case: Case, severity: str) -> datetime:
    """The due time ``severity`` gives the case: its opening (or its last
    reopening) plus the severity's hours (``CASE_SLA_HOURS``) plus the pauses
    already over."""
    hours = settings.CASE_SLA_HOURS[severity]
    started = case.sla_started_at or case.created_at
    return started + timedelta(hours=hours) + case.sla_paused_for


def restart(case: Case, now: datetime) -> list[str]:
    """A reopened case gets a fresh clock: due by its severity from now, running,
    and able to breach again."""
    case.sla_started_at = now
    case.sla_paused_for = timedelta(0)
    case.sla_paused_at = None
    case.sla_pause_reasons = []
    case.sla_breached_at = None
    case.sla_due_at = due_for(case, case.severity)
    return [
        "sla_started_at",
        "sla_paused_for",
        "sla_paused_at",
        "sla_pause_reasons",
        "sla_breached_at",
        "sla_due_at",
    ]


def follow_severity(case: Case, severity: str) -> list[str]:
    """Move the due time earlier when ``severity`` gives an earlier one; never later."""
    due = due_for(case, severity)
    if case.sla_due_at is not None and case.sla_due_at <= due:
        return []
    case.sla_due_at = due
    return ["sla_due_at"]


def pause(case: Case, reason: str, now: datetime | None = None) -> list[str]:
    """Stop the clock for ``reason`` (it may already be stopped for another)."""
    if reason in case.sla_pause_reasons:
        return []
    case.sla_pause_reasons = sorted({*case.sla_pause_reasons, reason})
    changed = ["sla_pause_reasons"]
    if case.sla_paused_at is None:
        case.sla_paused_at = now or timezone.now()
        changed.append("sla_paused_at")
    return changed


def resume(case: Case, reason: str, now: datetime | None = None) -> list[str]:
    """``reason`` no longer holds; once none does, the clock runs again and the
    due time moves on by the time it stood still."""
    if reason not in case.sla_pause_reasons:
        return []
    case.sla_pause_reasons = [held for held in case.sla_pause_reasons if held != reason]
    changed = ["sla_pause_reasons"]
    if not case.sla_pause_reasons and case.sla_paused_at is not None:
        stood = (now or timezone.now()) - case.sla_paused_at
        if case.sla_due_at is not None:
            case.sla_due_at += stood
        case.sla_paused_for += stood
        case.sla_paused_at = None
        changed += ["sla_due_at", "sla_paused_for", "sla_paused_at"]
    return changed


def follow_approvals(case: Case, *, awaiting: bool) -> list[str]:
    """Pause while one of the case's actions awaits approval; resume once none does."""
    return pause(case, AWAITING_APPROVAL) if awaiting else resume(case, AWAITING_APPROVAL)
