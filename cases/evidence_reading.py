"""Reading evidence, for the case page and the API: as plain text or as a download, never as HTML.

Every read of a sample or file is an audit event (``evidence.viewed``).
Responses are ``text/plain`` or ``application/octet-stream`` with
``nosniff`` and a sandboxing CSP, so a file full of HTML and script is
shown as characters or saved, never run in Dossier's origin.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse

from audit.events import record
from cases import evidence_store
from cases.models import Evidence, EvidenceKind

# A file is offered as text only up to this size; larger ones are downloaded.
TEXT_VIEW_MAX_BYTES = 1024 * 1024


def _harden(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


def evidence_text(item: Evidence) -> str:
    """The text of a non-file item: its content, or its structured data as JSON."""
    if item.content:
        return item.content
    if item.data:
        return json.dumps(item.data, indent=2, ensure_ascii=False, sort_keys=True)
    return ""


def evidence_response(user, case, item: Evidence, *, download: bool) -> HttpResponse:
    """The item as text/plain or as a download, after recording the read."""
    if item.is_redacted:
        return _harden(
            HttpResponse(
                f"This evidence was redacted ({item.redaction_reason}).\n"
                f"SHA-256 of what was removed: {item.removed_sha256}\n",
                status=410,
                content_type="text/plain; charset=utf-8",
            )
        )
    is_file = item.kind == EvidenceKind.FILE and bool(item.file_path)
    if is_file and not download and (item.size or 0) > TEXT_VIEW_MAX_BYTES:
        download = True
    with transaction.atomic():
        record(
            "evidence.viewed",
            actor=user,
            target=item,
            cases=[case],
            after={"as": "download" if download else "text", "sha256": item.sha256},
        )
    if is_file:
        path = evidence_store.path_of(item.file_path)
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The stored file is missing.") from exc
        if download:
            response = FileResponse(
                handle,
                as_attachment=True,
                filename=item.original_filename or f"evidence-{item.pk}",
                content_type="application/octet-stream",
            )
        else:
            with handle:
                text = handle.read().decode("utf-8", "replace")
            response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        return _harden(response)
    response = HttpResponse(evidence_text(item), content_type="text/plain; charset=utf-8")
    if download:
        response["Content-Disposition"] = f'attachment; filename="evidence-{item.pk}.txt"'
    return _harden(response)
