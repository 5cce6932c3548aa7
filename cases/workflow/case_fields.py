"""Assignment, severity, attribution and notes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.events import record
from cases.models import SEVERITY_RANK, Case, Note, Severity
from cases.workflow import sla, versions
from cases.workflow.common import (
    check_length,
    clean_text,
    lock_case,
    publish_on_commit,
    refusal_audited,
    required_text,
    touch,
)
from cases.workflow.may import (
    COMMENTING_ROLES,
    WORKING_ROLES,
    may_add_note,
    may_assign,
    may_work_on,
    needs_roles,
)
from cases.workflow.table import OperationRefused
from core import text_limits as limits
from people.roles import INVESTIGATORS_AND_LEADS, has_role


@refusal_audited("assign")
def assign(
    case: Case | int, assignee, *, actor, reason: str = "", version: int | None = None
) -> Case:
    """Set or clear the assignee. A lead assigns anyone; an investigator only themself."""
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        case = lock_case(case, version, edits=[versions.ASSIGNEE])
        if not may_work_on(actor, case):
            raise needs_roles(WORKING_ROLES, "Assigning", case)
        if not may_assign(actor, case, assignee):
            raise OperationRefused(
                f"Investigators assign case #{case.pk} only to themselves; leads assign anyone.",
                case=case,
            )
        if assignee is not None and not (
            assignee.is_active and has_role(assignee, *INVESTIGATORS_AND_LEADS)
        ):
            raise ValidationError({"assignee": "Cases are assigned to investigators or leads."})
        before = {"assignee": case.assignee.get_username() if case.assignee else None}
        case.assignee = assignee
        touch(case, actor, ["assignee"])
        event = record(
            "case.assigned",
            actor=actor,
            target=case,
            cases=[case],
            before=before,
            after={"assignee": assignee.get_username() if assignee else None},
            reason=reason,
        )
        publish_on_commit(case, "case.assigned", event)
    return case


@refusal_audited("set_severity")
def set_severity(
    case: Case | int, severity: str, *, actor, reason: str = "", version: int | None = None
) -> Case:
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        case = lock_case(case, version, edits=[versions.SEVERITY])
        if not may_work_on(actor, case):
            raise needs_roles(WORKING_ROLES, "Changing severity", case)
        if severity not in Severity.values:
            raise ValidationError({"severity": f"Unknown severity {severity!r}."})
        before = {"severity": case.severity, "sla_due_at": case.sla_due_at}
        case.severity = severity
        case.severity_rank = SEVERITY_RANK[Severity(severity)]
        moved = sla.follow_severity(case, severity)
        touch(case, actor, ["severity", "severity_rank", *moved])
        record(
            "case.severity_changed",
            actor=actor,
            target=case,
            cases=[case],
            before=before,
            after={"severity": severity, "sla_due_at": case.sla_due_at},
            reason=reason,
        )
        publish_on_commit(case, "case.severity_changed")
    return case


@refusal_audited("set_attribution")
def set_attribution(
    case: Case | int,
    *,
    suspected_actor: str,
    confidence: str,
    rationale: str,
    actor,
    reason: str = "",
    version: int | None = None,
) -> Case:
    """Record who is believed to be behind the case, how sure, and why."""
    fields = ("attribution_actor", "attribution_confidence", "attribution_rationale")
    check_length(suspected_actor, "suspected_actor", limits.SUSPECTED_ACTOR, "The suspected actor")
    check_length(rationale, "rationale", limits.RATIONALE, "The rationale")
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        case = lock_case(case, version, edits=[versions.ATTRIBUTION])
        if not may_work_on(actor, case):
            raise needs_roles(WORKING_ROLES, "Changing attribution", case)
        before = {name: getattr(case, name) for name in fields}
        case.attribution_actor = clean_text(suspected_actor)[:200]
        case.attribution_confidence = clean_text(confidence)[:20]
        case.attribution_rationale = clean_text(rationale)
        touch(case, actor, fields)
        record(
            "case.attribution_changed",
            actor=actor,
            target=case,
            cases=[case],
            before=before,
            after={name: getattr(case, name) for name in fields},
            reason=reason,
        )
        publish_on_commit(case, "case.attribution_changed")
    return case


@refusal_audited("add_note")
def add_note(case: Case | int, body: str, *, actor) -> Note:
    check_length(body, "body", limits.NOTE, "The note")
    with transaction.atomic():
        case = lock_case(case)
        if not may_add_note(actor, case):
            raise needs_roles(COMMENTING_ROLES, "Adding a note", case)
        body = required_text(body, "body")
        note = Note.objects.create(case=case, author=actor, body=body)
        touch(case, actor, [])
        record("note.added", actor=actor, target=note, cases=[case], after={"body": body})
        publish_on_commit(case, "note.added")
    return note
