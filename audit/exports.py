"""Signed exports of the audit trail, streamed (docs/audit-exports.md).

An export is fixed when it starts: it covers the filtered events up to the
trail's head at that moment (``through_sequence``). The trail is append-only
and gapless, and an event's sequence is given under the chain lock held to
its commit, so every event up to the committed head is already there and
nothing can join or leave that range afterwards. That makes a cheap COUNT
at the start the exact number of rows the stream will send, which is why
the export's own audit event is written at the start, before the first
byte: the export is on the trail even when the download is cut off, and it
names its filter and its row count. (Recorded at the end of the stream
instead, an interrupted download would leave no trace.)

The rows are read a page at a time by sequence (keyset pagination on the
unique index, as ``audit.verify`` does), never as one queryset held in
memory, and each page is sent as soon as it is read. Unlike a server-side
cursor this works behind PgBouncer in transaction mode, and no statement
runs longer than one page, however long the download takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, transaction
from django.db.models import BigIntegerField, Max, QuerySet, TextField
from django.db.models.functions import Cast, Extract
from django.http import StreamingHttpResponse
from django.utils import timezone

from audit.chain import HASHED_FIELDS, format_timestamp
from audit.checkpoints import latest_anchor
from audit.events import record
from audit.exportfile import ExportWriter, key_id, public_key_of
from audit.exportformats import COLUMNS, OUTPUTS
from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from cases.models import Case, Tlp
from cases.visibility import visible_events
from core.filtering import filtered
from core.refusals import Invalid

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
_COLUMNS = (*HASHED_FIELDS, "hash")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def public_key() -> bytes:
    return public_key_of(settings.AUDIT_SIGNING_KEY)


def signing_key_id() -> str:
    return key_id(public_key())


def filtered_events(params, user) -> tuple[QuerySet, dict[str, str]]:
    """The events the filter parameters select, and the filter as the manifest names it.

    The trail page's filter (``AuditEventFilter``), over the events ``user``
    may read; the first malformed value is a 400 naming its parameter.
    """
    return filtered(
        AuditEventFilter(params, queryset=visible_events(user, AuditEvent.objects.all()))
    )


@dataclass(frozen=True)
class Selection:
    """What an export will hold, fixed when it is asked for."""

    output: str
    filter: dict[str, str]
    through_sequence: int
    rows: int
    tlp_red_included: bool
    events: QuerySet


@dataclass(frozen=True)
class Export:
    output: str
    filter: dict[str, str]
    through_sequence: int
    rows: int
    tlp_red_included: bool
    generated_by: str
    generated_at: str
    event_sequence: int
    events: QuerySet

    @property
    def filename(self) -> str:
        return f"audit-export-{self.event_sequence}.{self.output}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.output]


def select(params, user) -> Selection:
    """Check the request and fix the export's range: the filtered events up to the head."""
    output = (params.get("output") or "jsonl").strip()
    if output not in OUTPUTS:
        raise Invalid(f"output must be one of {', '.join(OUTPUTS)}.", field="output")
    events, applied = filtered_events(params, user)
    head = AuditEvent.objects.aggregate(head=Max("sequence"))["head"] or 0
    events = events.filter(sequence__lte=head)
    # The red cases' ids are read once (an uncorrelated subquery), then each
    # event's array is compared with them.
    red_cases = ArraySubquery(Case.objects.filter(tlp=Tlp.RED).values("id"))
    return Selection(
        output=output,
        filter=applied,
        through_sequence=head,
        rows=events.count(),
        tlp_red_included=events.filter(case_ids__overlap=red_cases).exists(),
        events=events,
    )


def record_export(selection: Selection, *, actor, job: str | None = None) -> Export:
    """Write the export's own audit event (inside the caller's transaction) and
    return the export it describes; ``job`` names the export job writing it."""
    generated_at = timezone.now()
    after = {
        "output": selection.output,
        "filter": selection.filter,
        "rows": selection.rows,
        "through_sequence": selection.through_sequence,
        "tlp_red_included": selection.tlp_red_included,
        "key_id": signing_key_id(),
    }
    if job is not None:
        after["job"] = job
    event = record(
        "audit.exported",
        actor=actor,
        cases=[int(selection.filter["case"])] if "case" in selection.filter else [],
        after=after,
    )
    return Export(
        output=selection.output,
        filter=selection.filter,
        through_sequence=selection.through_sequence,
        rows=selection.rows,
        tlp_red_included=selection.tlp_red_included,
        generated_by=actor.get_username(),
        generated_at=format_timestamp(generated_at),
        event_sequence=event.sequence,
        events=selection.events,
    )


def too_large_for_one_download(rows: int) -> str:
    maximum = settings.AUDIT_EXPORT_SYNC_MAX_ROWS
    return (
        f"since/until: this filter selects {rows:,} events, more than the {maximum:,} "
        "one download may hold. Narrow the range, or start an export job with the same "
        "parameters (POST /api/v1/audit/export-jobs, or Export on the trail page)."
    )


def start_export(params, *, actor, selection: Selection | None = None) -> Export:
    """A streamed export: check the request, fix its range (``selection``, when
    the caller already made it from ``params``) and record it on the trail.

    A selection above ``AUDIT_EXPORT_SYNC_MAX_ROWS`` is refused (a 400 naming
    the range): it runs as a job instead (``audit.export_jobs``).
    """
    selection = selection or select(params, actor)
    if selection.rows > settings.AUDIT_EXPORT_SYNC_MAX_ROWS:
        raise Invalid(too_large_for_one_download(selection.rows), field="since")
    with transaction.atomic():
        return record_export(selection, actor=actor)


def _pages(events: QuerySet, page_size: int) -> Iterator[list[dict[str, Any]]]:
    """The events in sequence order, ``page_size`` at a time, after the last one read."""
    # ``before``/``after`` as PostgreSQL's text of the jsonb: the form the hash covers.
    # ``occurred_at`` as microseconds since the epoch (exact: EXTRACT gives a numeric),
    # made a datetime here: psycopg's parse of a timestamptz's text costs more than
    # the rest of a row's reading.
    plain = [name for name in _COLUMNS if name not in ("occurred_at", "before", "after")]
    rows = (
        events.order_by("sequence")
        .annotate(
            occurred_us=Cast(Extract("occurred_at", "epoch") * 1_000_000, BigIntegerField()),
            before_text=Cast("before", TextField()),
            after_text=Cast("after", TextField()),
        )
        .values_list(*plain, "occurred_us", "before_text", "after_text")
    )
    names = [*plain, "occurred_at", "before", "after"]
    last = None
    while True:
        page = rows if last is None else rows.filter(sequence__gt=last)
        values = list(page[:page_size])
        if not values:
            return
        events_read = [dict(zip(names, row, strict=True)) for row in values]
        for event in events_read:
            event["occurred_at"] = _EPOCH + timedelta(microseconds=event["occurred_at"])
        yield events_read
        last = values[-1][0]
        if len(values) < page_size:
            return


# PostgreSQL writes an audit export's CSV records itself, in the columns of
# ``audit.exportformats.COLUMNS`` (``COPY ... WITH (FORMAT csv)``): quoting each
# cell in Python's csv module cost three times as much as reading the rows
# (bench/export.py). The file is the same to a CSV reader: ``case_ids`` as the
# stored array (the hash sorts it), an empty cell for NULL.
_CSV_EXPRESSIONS = {
    "row": "%s::bigint + row_number() OVER (ORDER BY sequence)",
    "occurred_at": """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    "case_ids": "translate(case_ids::text, '{}', '[]')",
    "before": "before::text",
    "after": "after::text",
}
_COPY_CSV = (
    "COPY (SELECT "  # noqa: S608 (fixed columns)
    + ", ".join(_CSV_EXPRESSIONS.get(name, name) for name in COLUMNS)
    + " FROM audit_auditevent WHERE sequence = ANY(%s) ORDER BY sequence)"
    " TO STDOUT WITH (FORMAT csv)"
)


def _csv_pages(events: QuerySet, page_size: int) -> Iterator[tuple[bytes, list[int]]]:
    """Each page's CSV records as PostgreSQL writes them, and the page's sequences:
    the filter picks a page of sequence numbers, COPY reads them by the unique index."""
    sequences = events.order_by("sequence").values_list("sequence", flat=True)
    written, last = 0, None
    while True:
        page = list(
            (sequences if last is None else sequences.filter(sequence__gt=last))[:page_size]
        )
        if not page:
            return
        with connection.cursor() as cursor, cursor.cursor.copy(_COPY_CSV, [written, page]) as copy:
            records = b"".join(bytes(block) for block in copy)
        yield records, page
        written, last = written + len(page), page[-1]
        if len(page) < page_size:
            return


def _ends(first: int, last: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first and the last event of an export as its manifest names them."""
    hashes = dict(
        AuditEvent.objects.filter(sequence__in=[first, last]).values_list("sequence", "hash")
    )
    return (
        {"sequence": first, "hash": hashes[first]},
        {"sequence": last, "hash": hashes[last]},
    )


def stream(
    export: Export,
    *,
    page_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The export's bytes: header, one page of records per chunk, the signed trailer.

    ``progress`` is told how many rows are written after each page.
    """
    page_size = page_size or settings.AUDIT_EXPORT_PAGE_SIZE
    writer = ExportWriter(export.output)
    header = writer.header()
    if header:
        yield header
    if export.output == "csv":
        bounds = []
        for records, page in _csv_pages(export.events, page_size):
            yield writer.written(records, rows=len(page))
            bounds = [bounds[0] if bounds else page[0], page[-1]]
            if progress is not None:
                progress(writer.rows)
        if bounds:
            writer.first, writer.last = _ends(*bounds)
    else:
        for page in _pages(export.events, page_size):
            yield writer.events(page)
            if progress is not None:
                progress(writer.rows)
    yield writer.trailer(
        settings.AUDIT_SIGNING_KEY,
        filter=export.filter,
        through_sequence=export.through_sequence,
        tlp_red_included=export.tlp_red_included,
        generated_by=export.generated_by,
        generated_at=export.generated_at,
        export_event=export.event_sequence,
        # The latest outside anchor: whoever keeps it can prove later that the
        # chain extends it (docs/audit-trail.md).
        checkpoint=latest_anchor(Path(settings.AUDIT_ANCHOR_PATH)),
    )


def download(export: Export) -> StreamingHttpResponse:
    """The export as a download, streamed (the page's and the API's)."""
    response = StreamingHttpResponse(stream(export), content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Dossier-Export-Rows"] = str(export.rows)
    response["Dossier-Export-Event"] = str(export.event_sequence)
    # The manifest travels as the file's last line (its trailer).
    response["Dossier-Manifest"] = "trailer"
    return response
