"""What every workflow operation does the same way: lock, check, touch, publish."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import Case
from cases.signals import case_changed
from cases.workflow.table import OperationRefused, S, is_person
from people.roles import has_role


def case_pk(case: Case | int) -> int:
    return case.pk if isinstance(case, Case) else int(case)


def lock_case(case: Case | int) -> Case:
    return Case.objects.select_for_update().get(pk=case_pk(case))


def require_role(actor, roles: Iterable[str], what: str, case: Case) -> None:
    if not is_person(actor) or not has_role(actor, *roles):
        names = ", ".join(sorted(str(r) for r in roles))
        raise OperationRefused(f"{what} on case #{case.pk} is for {names}.")


def clean_text(value: str | None) -> str:
    """Trimmed text PostgreSQL can store (it refuses U+0000)."""
    return str(value or "").replace("\x00", "\ufffd").strip()


def required_text(value: str, field: str) -> str:
    value = clean_text(value)
    if not value:
        raise ValidationError({field: "This is required."})
    return value


def touch(case: Case, actor, fields: Iterable[str]) -> None:
    """Save the changed fields with the bookkeeping every workflow change carries."""
    case.version += 1
    case.last_activity_at = timezone.now()
    case.updated_by = actor if is_person(actor) else None
    case.save(
        update_fields=[
            *fields,
            "version",
            "last_activity_at",
            "updated_by",
            "updated_at",
        ]
    )


def publish_on_commit(case: Case, verb: str) -> None:
    # robust: a failing receiver must not turn a committed change into an error.
    transaction.on_commit(
        partial(case_changed.send, sender=Case, case_id=case.pk, verb=verb), robust=True
    )


def status_snapshot(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "resolution": case.resolution,
        "escalation_level": case.escalation_level,
    }


def apply_status(case: Case, target: str, *, resolution: str = "", level: str = "") -> list[str]:
    """Apply a status change and its stage timestamps; returns the fields changed."""
    now = timezone.now()
    source = case.status
    case.status = target
    changed = ["status", "escalation_level", "resolution"]
    case.escalation_level = level if target == S.ESCALATED else ""
    case.resolution = resolution if target == S.CLOSED else ""
    if source == S.NEW and case.triaged_at is None:
        case.triaged_at = now
        changed.append("triaged_at")
    if target == S.ESCALATED:
        case.escalated_at = now
        changed.append("escalated_at")
    if target == S.ACTIONED:
        case.actioned_at = now
        changed.append("actioned_at")
    if target == S.CLOSED:
        case.closed_at = now
        changed.append("closed_at")
    if source == S.CLOSED:
        # Reopened: the case will be closed again and measured then.
        case.closed_at = None
        changed.append("closed_at")
    return changed


def transition_verb(source: str, target: str) -> str:
    if target == S.ESCALATED:
        return "case.escalated"
    if target == S.CLOSED:
        return "case.closed"
    if source == S.CLOSED:
        return "case.reopened"
    if source == S.ESCALATED:
        return "case.handed_back"
    return "case.status_changed"
