"""Status changes a person asks for: triage, investigate, escalate, hand back, close, reopen."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.events import record
from cases.models import Case, EscalationLevel, Resolution
from cases.workflow import versions
from cases.workflow.common import (
    apply_status,
    check_length,
    lock_case,
    publish_on_commit,
    refusal_audited,
    status_snapshot,
    touch,
    transition_verb,
)
from cases.workflow.table import (
    S,
    TransitionRefused,
    Via,
    allowed_transitions,
    levels_open_to,
    rules_for,
)
from core import text_limits as limits


@refusal_audited("transition")
def transition(
    case: Case | int,
    to_status: str,
    *,
    actor,
    reason: str = "",
    resolution: str | None = None,
    level: str | None = None,
    only_from: Iterable[str] | None = None,
    version: int | None = None,
) -> Case:
    """Move a case to ``to_status`` as ``actor`` asks.

    Closing needs a ``resolution`` (and a ``reason`` when the case is
    escalated); escalating needs a ``level`` (policy, legal or executive),
    above the case's own when it is escalated already, and then a reason;
    handing an escalated case back needs a reason too.
    ``only_from`` lets a named operation (``reopen``) refuse when the case is
    not where it expects; ``version`` refuses (``StaleCase``) a change based
    on an older version of the case.
    """
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        case = lock_case(case, version, edits=[versions.STATUS])
        if only_from is not None and case.status not in set(only_from):
            raise TransitionRefused(
                case,
                to_status,
                allowed_transitions(case, actor),
                detail=f"this operation starts only from {'/'.join(sorted(only_from))}",
            )
        rules = rules_for(case, to_status, Via.TRANSITION, actor)
        if not rules:
            raise TransitionRefused(case, to_status, allowed_transitions(case, actor))

        if to_status == S.CLOSED:
            if not resolution:
                raise ValidationError({"resolution": "Closing a case needs a resolution."})
            if resolution not in Resolution.values:
                raise ValidationError({"resolution": f"Unknown resolution {resolution!r}."})
            if not any(resolution in rule.resolutions for rule in rules):
                raise TransitionRefused(
                    case,
                    to_status,
                    allowed_transitions(case, actor),
                    detail=f"closing as {resolution} is for leads",
                )
            if case.status == S.ESCALATED and not (reason or "").strip():
                # The people it was escalated to lose it from their queue: they read why.
                raise ValidationError({"reason": "Closing an escalated case needs a reason."})
        elif resolution:
            raise ValidationError({"resolution": "Only closing takes a resolution."})

        if to_status == S.ESCALATED:
            check_level(case, level, reason)
        elif level:
            raise ValidationError({"level": "Only escalating takes a level."})
        if (
            case.status == S.ESCALATED
            and to_status == S.INVESTIGATING
            and not (reason or "").strip()
        ):
            # Whoever escalated it reads why it came back (their inbox tells them).
            raise ValidationError({"reason": "Handing a case back needs a reason."})

        source = case.status
        before = status_snapshot(case)
        changed = apply_status(case, to_status, resolution=resolution or "", level=level or "")
        touch(case, actor, changed)
        verb = transition_verb(source, to_status)
        event = record(
            verb,
            actor=actor,
            target=case,
            cases=[case],
            before=before,
            after=status_snapshot(case),
            reason=reason,
        )
        publish_on_commit(case, verb, event)
    return case


def check_level(case: Case, level: str | None, reason: str) -> None:
    """Refuse a level the case may not be escalated to from where it is."""
    open_levels = levels_open_to(case)
    if level in open_levels:
        if case.status == S.ESCALATED and not (reason or "").strip():
            raise ValidationError({"reason": "Escalating a case further needs a reason."})
        return
    choices = ", ".join(open_levels)
    if case.status == S.ESCALATED and level in EscalationLevel.values:
        raise ValidationError(
            {
                "level": f"The case is escalated to {case.escalation_level} already; "
                f"it can go only higher: {choices}."
            }
        )
    raise ValidationError({"level": f"Escalating needs a level: one of {choices}."})


def escalate(case: Case | int, level: str, *, actor, reason: str = "") -> Case:
    return transition(case, S.ESCALATED, actor=actor, reason=reason, level=level)


def hand_back(case: Case | int, *, actor, reason: str = "") -> Case:
    """Return an escalated case to investigation (its escalation level's role, or a lead)."""
    return transition(case, S.INVESTIGATING, actor=actor, reason=reason, only_from={S.ESCALATED})


def close(case: Case | int, resolution: str, *, actor, reason: str = "") -> Case:
    return transition(case, S.CLOSED, actor=actor, reason=reason, resolution=resolution)


def reopen(case: Case | int, *, actor, reason: str = "") -> Case:
    return transition(case, S.INVESTIGATING, actor=actor, reason=reason, only_from={S.CLOSED})
