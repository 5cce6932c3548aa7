"""Adding and redacting evidence. Files go through cases.evidence_store."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from audit.events import record
from cases import evidence_store
from cases.models import Case, Evidence, EvidenceKind
from cases.workflow.common import (
    case_pk,
    check_length,
    clean_text,
    lock_case,
    publish_on_commit,
    refusal_audited,
    required_text,
    touch,
)
from cases.workflow.may import (
    REDACTING_ROLES,
    WORKING_ROLES,
    may_redact,
    may_work_on,
    needs_roles,
)
from core import text_limits as limits


def _evidence_summary(evidence: Evidence) -> dict[str, Any]:
    return {
        "kind": evidence.kind,
        "title": evidence.title,
        "sha256": evidence.sha256,
        "size": evidence.size,
        "content_type": evidence.content_type,
        "original_filename": evidence.original_filename,
    }


def _save_evidence(case: Case, evidence: Evidence, actor, reason: str) -> Evidence:
    evidence.save()
    case.evidence_count += 1
    touch(case, actor, ["evidence_count"])
    record(
        "evidence.added",
        actor=actor,
        target=evidence,
        cases=[case],
        after=_evidence_summary(evidence),
        reason=reason,
    )
    publish_on_commit(case, "evidence.added")
    return evidence


@refusal_audited("add_evidence")
def add_evidence_file(
    case: Case | int, upload, *, actor, title: str = "", reason: str = ""
) -> Evidence:
    """Store an uploaded file as evidence, hashing it while it is written.

    An upload over ``EVIDENCE_MAX_BYTES`` raises ``EvidenceTooLarge`` and
    leaves neither a file nor a row. The file is written before the row's
    transaction (a long upload must not hold the case lock) and removed again
    if that transaction fails.
    """
    check_length(title, "title", limits.TITLE, "The title")
    check_length(reason, "reason", limits.REASON, "The reason")
    case_obj = Case.objects.get(pk=case_pk(case))
    if not may_work_on(actor, case_obj):
        raise needs_roles(WORKING_ROLES, "Adding evidence", case_obj)
    evidence_store.check_declared_size(upload)
    stored = evidence_store.store_upload(upload)
    try:
        with transaction.atomic():
            locked = lock_case(case_obj)
            if not may_work_on(actor, locked):
                raise needs_roles(WORKING_ROLES, "Adding evidence", locked)
            filename = evidence_store.clean_filename(upload)
            evidence = Evidence(
                case=locked,
                kind=EvidenceKind.FILE,
                title=clean_text(title)[:300] or filename or "Uploaded file",
                file_path=stored.relative_path,
                original_filename=filename,
                content_type=evidence_store.clean_content_type(upload),
                size=stored.size,
                sha256=stored.sha256,
                created_by=actor,
            )
            return _save_evidence(locked, evidence, actor, reason)
    except BaseException:
        evidence_store.remove(stored.relative_path)
        raise


@refusal_audited("add_evidence")
def add_evidence_text(
    case: Case | int,
    *,
    title: str,
    content: str,
    actor,
    kind: str = EvidenceKind.TEXT,
    reason: str = "",
) -> Evidence:
    """Add a piece of text or a link as evidence; its SHA-256 is that of its UTF-8 bytes."""
    if kind not in (EvidenceKind.TEXT, EvidenceKind.LINK):
        raise ValidationError({"kind": "People add text or links; other kinds come from alerts."})
    check_length(title, "title", limits.TITLE, "The title")
    check_length(content, "content", limits.EVIDENCE_TEXT, "The content")
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        case = lock_case(case)
        if not may_work_on(actor, case):
            raise needs_roles(WORKING_ROLES, "Adding evidence", case)
        title = required_text(title, "title")[:300]
        content = required_text(content, "content")
        if kind == EvidenceKind.LINK:
            # Shown as a link later: only web addresses, never javascript: or data:.
            try:
                URLValidator(schemes=["http", "https"])(content)
            except ValidationError as exc:
                raise ValidationError({"content": "A link must be an http(s) URL."}) from exc
        encoded = content.encode()
        evidence = Evidence(
            case=case,
            kind=kind,
            title=title,
            content=content,
            content_type="text/plain; charset=utf-8",
            size=len(encoded),
            sha256=evidence_store.sha256_of(encoded),
            created_by=actor,
        )
        return _save_evidence(case, evidence, actor, reason)


@refusal_audited("redact_evidence")
def redact_evidence(evidence: Evidence | int, *, actor, reason: str) -> Evidence:
    """Remove an item's content, keeping its record and the SHA-256 of what was removed.

    The file is deleted only once the redaction has committed, so a rolled
    back redaction leaves the evidence whole.
    """
    evidence_pk = evidence.pk if isinstance(evidence, Evidence) else int(evidence)
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        case_id = Evidence.objects.values_list("case_id", flat=True).get(pk=evidence_pk)
        case = lock_case(case_id)
        evidence = Evidence.objects.select_for_update().get(pk=evidence_pk)
        if not may_redact(actor, case):
            raise needs_roles(REDACTING_ROLES, "Redacting evidence", case)
        reason = required_text(reason, "reason")
        if evidence.redacted_at is not None:
            raise ValidationError("This evidence is already redacted.")
        removed_file = evidence.file_path
        evidence.removed_sha256 = evidence.sha256
        evidence.content = ""
        evidence.data = {}
        evidence.file_path = ""
        evidence.redacted_at = timezone.now()
        evidence.redacted_by = actor
        evidence.redaction_reason = reason
        evidence.save()
        touch(case, actor, [])
        record(
            "evidence.redacted",
            actor=actor,
            target=evidence,
            cases=[case],
            before={"sha256": evidence.removed_sha256, "file": bool(removed_file)},
            after={"redacted": True, "removed_sha256": evidence.removed_sha256},
            reason=reason,
        )
        if removed_file:
            transaction.on_commit(lambda: evidence_store.remove(removed_file), robust=True)
        publish_on_commit(case, "evidence.redacted")
    return evidence
