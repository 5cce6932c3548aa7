"""What every workflow operation does the same way: lock, check, touch, publish, audit refusals."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.events import record_refusal
from audit.models import AuditEvent
from cases.models import Case
from cases.signals import case_changed
from cases.workflow import sla
from cases.workflow.table import OperationRefused, S, is_person
from cases.workflow.versions import Change, changes_since, groups_of, stamp
from core.refusals import Conflict, audits_refusals
from core.text_limits import too_long

F = TypeVar("F", bound=Callable[..., Any])


class StaleCase(Conflict):
    """What the person edits changed after they read the case (``version``); nothing
    was changed. ``changes`` names each changed group, by whom; empty when the
    check covered the whole case."""

    def __init__(self, case: Case, seen_version: int, changes: Sequence[Change] = ()) -> None:
        self.case = case
        self.seen_version = seen_version
        self.changes = list(changes)
        if self.changes:
            what = "; ".join(
                f"its {change.group} was changed by {change.who} at {_when(change.at)}"
                for change in self.changes
            )
            told = f"Case #{case.pk} changed after you loaded it: {what}"
        else:
            who = case.updated_by.get_username() if case.updated_by else "the system"
            told = f"Case #{case.pk} was changed by {who} at {_when(case.updated_at)} after you loaded it"
        super().__init__(
            f"{told} (version {case.version}, yours {seen_version}). Nothing was changed: "
            "review the case and try again."
        )


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "an unknown time"


def case_pk(case: Case | int) -> int:
    return case.pk if isinstance(case, Case) else int(case)


def lock_case(
    case: Case | int, version: int | None = None, *, edits: Iterable[str] | None = None
) -> Case:
    """Lock the case row; with ``version``, refuse (``StaleCase``) if what the
    caller edits moved on since: the field groups named in ``edits``
    (``cases.workflow.versions``), or anything at all when ``edits`` is None.

    The check runs under the lock the change itself then holds, so nothing can
    slip in between the check and the write.
    """
    locked = Case.objects.select_for_update().get(pk=case_pk(case))
    if version is None:
        return locked
    if edits is None:
        if locked.version != version:
            raise StaleCase(locked, version)
    elif changes := changes_since(locked, version, edits):
        raise StaleCase(locked, version, changes)
    return locked


def refusal_audited(operation: str) -> Callable[[F], F]:
    """An operation the actor's roles do not allow leaves ``case.operation_refused``.

    Only the operations people call are wrapped, not the hooks other
    workflows call inside their own step (that step audits its refusal).
    """

    def write(exc: OperationRefused, *args, actor=None, **kwargs) -> None:
        record_refusal(
            "case.operation_refused",
            exc,
            actor=actor,
            target=exc.case,
            cases=[exc.case] if exc.case is not None else [],
            after={"operation": operation},
        )

    return audits_refusals(write, kinds=(OperationRefused,))


def clean_text(value: str | None) -> str:
    """Trimmed text PostgreSQL can store (it refuses U+0000)."""
    return str(value or "").replace("\x00", "\ufffd").strip()


def check_length(value: str | None, field: str, limit: int, what: str) -> None:
    """Refuse text longer than its limit (``core.text_limits``), naming the field."""
    if error := too_long(clean_text(value), limit, what):
        raise ValidationError({field: error})


def required_text(value: str, field: str) -> str:
    value = clean_text(value)
    if not value:
        raise ValidationError({field: "This is required."})
    return value


def touch(case: Case, actor, fields: Iterable[str]) -> None:
    """Save the changed fields with the bookkeeping every workflow change carries:
    a new version, and the field groups written stamped with it."""
    fields = list(fields)
    now = timezone.now()
    person = actor if is_person(actor) else None
    case.version += 1
    case.last_activity_at = now
    case.updated_by = person
    groups = groups_of(fields)
    if groups:
        stamp(case, groups, person.get_username() if person else "", now)
        fields.append("field_versions")
    case.save(
        update_fields=[
            *fields,
            "version",
            "last_activity_at",
            "updated_by",
            "updated_at",
        ]
    )


def publish_on_commit(case: Case, verb: str, event: AuditEvent | None = None) -> None:
    """Send ``case_changed`` once the transaction commits; ``event`` is the audit
    event recording the change, for receivers that act on who did what."""
    # robust: a failing receiver must not turn a committed change into an error.
    # A lambda, not a partial: Django logs a failing callback by its __qualname__.
    case_id = case.pk
    event_id = event.pk if event is not None else None
    transaction.on_commit(
        lambda: case_changed.send(sender=Case, case_id=case_id, verb=verb, event_id=event_id),
        robust=True,
    )


def status_snapshot(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "resolution": case.resolution,
        "escalation_level": case.escalation_level,
    }


def apply_status(case: Case, target: str, *, resolution: str = "", level: str = "") -> list[str]:
    """Apply a status change, its stage timestamps and its SLA pause; returns the fields changed."""
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
        changed += sla.restart(case, now)
    # An escalated case waits on the level it went to: its SLA stands still
    # until it leaves escalated (handed back, or moved on another way).
    if target == S.ESCALATED:
        changed += sla.pause(case, sla.AWAITING_HAND_BACK, now)
    elif source == S.ESCALATED:
        changed += sla.resume(case, sla.AWAITING_HAND_BACK, now)
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
