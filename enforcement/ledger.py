"""The enforcement ledger: every action target of a period, signed and streamed
(docs/audit-exports.md, "The enforcement ledger").

One record per action target, with its account, the action's kind and case,
who proposed and who approved it (with their comments), when it was carried
out and with what result, its reversal (when, by whom, why) and the action's
expiry. The file is made by the audit export's machinery
(``audit.exportfile``, format ``LEDGER``): the same signed manifest as its
trailer, the same checks by ``manage.py audit verify --file`` and
``scripts/verify_audit_export.py``.

A ledger is fixed when it starts, as an audit export is: it covers the
selected targets up to the newest target at that moment
(``through_target_id``), and the period selects actions by when they were
proposed, which never changes. A target is never deleted (its action's case
is protected), so the COUNT taken at the start is the number of rows the
stream sends, and the ledger's own audit event, naming its filter and that
count, is written before the first byte.

The targets are read a page at a time by id (keyset pagination on the
primary key), each page one query: the action, case, account and the people
are joins, the reversal's author and reason a subquery on the trail's target
index. No page holds more than ``PAGE_SIZE`` rows, however long the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, F, Max, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Now, NullIf
from django.utils import timezone

from audit.chain import format_timestamp
from audit.events import record
from audit.exportfile import ExportWriter, key_id, public_key_of
from audit.exportformats import LEDGER, OUTPUTS
from audit.models import AuditEvent
from cases.models import Tlp
from cases.visibility import visible_case_rows
from core.filtering import filtered
from core.refusals import Invalid
from enforcement.filters import LedgerFilter
from enforcement.models import Action, ActionTarget, TargetState

PAGE_SIZE = 1000
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
VERB = "enforcement.ledger_exported"

# Targets whose reversal was asked for: the ledger names who asked and why.
REVERSAL_STATES = (
    TargetState.REVERT_PENDING,
    TargetState.REVERTING,
    TargetState.REVERTED,
    TargetState.REVERT_FAILED,
)


def _revert_request() -> QuerySet[AuditEvent]:
    """The revert request that covers the outer target: its action's latest
    ``action.revert_requested`` event up to the target's reversal (or now, while
    it is still being reverted). A revert is asked for only while the action
    is carried out and not reverting, so requests of one action never overlap."""
    return AuditEvent.objects.filter(
        verb="action.revert_requested",
        target_type=Action._meta.label_lower,
        target_id=Cast(OuterRef("action_id"), CharField()),
        occurred_at__lte=Coalesce(OuterRef("reverted_at"), Now()),
    ).order_by("-sequence")


def _when_reversed(value: QuerySet) -> Case:
    return Case(When(state__in=REVERSAL_STATES, then=Subquery(value[:1])), default=Value(None))


# Each column of ``audit.exportformats.LEDGER_COLUMNS`` but ``row`` and
# ``row_sha256``, in that order, and where its value comes from.
_SOURCES: dict[str, str] = {
    "target_id": "id",
    "target_type": "target_type",
    "value": "value",
    "account": "account__external_id",
    "target_state": "state",
    "reference": "reference",
    "error": "error",
    "executed_at": "executed_at",
    "reverted_at": "reverted_at",
    "reverted_by": "ledger_reverted_by",
    "revert_reason": "ledger_revert_reason",
    "action_id": "action_id",
    "kind": "action__kind",
    "action_state": "action__state",
    "case_id": "action__case_id",
    "case_title": "action__case__title",
    "case_tlp": "action__case__tlp",
    "proposed_by": "action__proposed_by__username",
    "proposed_at": "action__proposed_at",
    "approved_by": "action__approved_by__username",
    "approved_at": "action__approved_at",
    "approval_comment": "action__approval_comment",
    "second_approved_by": "action__second_approved_by__username",
    "second_approved_at": "action__second_approved_at",
    "second_approval_comment": "action__second_approval_comment",
    "expires_at": "action__expires_at",
}


def selected_targets(params, user) -> tuple[QuerySet[ActionTarget], dict[str, str]]:
    """The targets the parameters select among those of cases ``user`` may see,
    and the filter as the manifest names it; a malformed value is a 400 naming it."""
    visible = visible_case_rows(user, ActionTarget.objects.all(), path="action__case")
    return filtered(LedgerFilter(params, queryset=visible))


@dataclass(frozen=True)
class Ledger:
    output: str
    filter: dict[str, str]
    through_target_id: int
    rows: int
    tlp_red_included: bool
    generated_by: str
    generated_at: str
    event_sequence: int
    targets: QuerySet[ActionTarget]

    @property
    def filename(self) -> str:
        return f"enforcement-ledger-{self.event_sequence}.{self.output}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.output]


def start_ledger(params, *, actor) -> Ledger:
    """Check the request, fix the ledger's targets and record it on the trail."""
    output = (params.get("output") or "jsonl").strip()
    if output not in OUTPUTS:
        raise Invalid(f"output must be one of {', '.join(OUTPUTS)}.", field="output")
    targets, applied = selected_targets(params, actor)
    head = ActionTarget.objects.aggregate(head=Max("id"))["head"] or 0
    targets = targets.filter(id__lte=head)
    rows = targets.count()
    tlp_red = targets.filter(action__case__tlp=Tlp.RED).exists()
    generated_at = timezone.now()
    with transaction.atomic():
        event = record(
            VERB,
            actor=actor,
            cases=[int(applied["case"])] if "case" in applied else [],
            after={
                "output": output,
                "filter": applied,
                "rows": rows,
                "through_target_id": head,
                "tlp_red_included": tlp_red,
                "key_id": key_id(public_key_of(settings.AUDIT_SIGNING_KEY)),
            },
        )
    return Ledger(
        output=output,
        filter=applied,
        through_target_id=head,
        rows=rows,
        tlp_red_included=tlp_red,
        generated_by=actor.get_username(),
        generated_at=format_timestamp(generated_at),
        event_sequence=event.sequence,
        targets=targets,
    )


def _pages(targets: QuerySet[ActionTarget], page_size: int) -> Iterator[list[dict[str, Any]]]:
    """The targets in id order, ``page_size`` at a time, after the last one read."""
    request = _revert_request()
    by_whom = request.annotate(
        who=Coalesce(NullIf(F("actor_username"), Value("")), F("system"))
    ).values("who")
    rows = (
        targets.order_by("id")
        .annotate(
            ledger_reverted_by=_when_reversed(by_whom),
            ledger_revert_reason=_when_reversed(request.values("reason")),
        )
        .values_list(*_SOURCES.values())
    )
    names = list(_SOURCES)
    last = None
    while True:
        page = rows if last is None else rows.filter(id__gt=last)
        values = list(page[:page_size])
        if not values:
            return
        yield [dict(zip(names, row, strict=True)) for row in values]
        last = values[-1][0]
        if len(values) < page_size:
            return


def stream(ledger: Ledger, *, page_size: int | None = None) -> Iterator[bytes]:
    """The ledger's bytes: header, one page of records per chunk, the signed trailer."""
    writer = ExportWriter(ledger.output, LEDGER)
    header = writer.header()
    if header:
        yield header
    for page in _pages(ledger.targets, page_size or PAGE_SIZE):
        yield writer.records(page)
    yield writer.trailer(
        settings.AUDIT_SIGNING_KEY,
        filter=ledger.filter,
        through_target_id=ledger.through_target_id,
        tlp_red_included=ledger.tlp_red_included,
        generated_by=ledger.generated_by,
        generated_at=ledger.generated_at,
        export_event=ledger.event_sequence,
    )
