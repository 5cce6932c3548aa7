"""A case's audit trail and its timeline, newest first, a page at a time.

The timeline merges three streams, each read newest first from its own index
and each at most a page long: the case's audit events (a person's steps, and
the import's, one event per batch), evidence people or detectors added, and
notes. Its cursor is the last entry's ``(time, stream, id)``, so a deep page
costs what the first does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from audit.case_trail import links_of
from audit.models import AuditEvent, CaseEvent
from cases.models import Case, Evidence, EvidenceKind, Note
from cases.pagination import InvalidCursor, Sort, after_q, decode_cursor, encode_cursor

# Reads are in the audit trail; the timeline shows what changed the case
# (notes and evidence appear as themselves, not as their events).
TIMELINE_SKIPPED_VERBS = frozenset({"note.added", "evidence.added", "evidence.viewed"})
BATCH_VERBS = frozenset({"batch.imported", "batch.import_failed"})
# The audit panel pages the case's links by their event's sequence.
AUDIT_SORT = Sort("audit", "Newest first", "event_id", descending=True, is_datetime=False)
# What the timeline shows: everything, a person's own steps, or the import's.
SHOW_ALL, SHOW_PEOPLE, SHOW_IMPORTS = "all", "people", "imports"
SHOW_CHOICES = [
    (SHOW_ALL, "Everything"),
    (SHOW_PEOPLE, "People's steps"),
    (SHOW_IMPORTS, "Imports"),
]


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # note, evidence, event, import
    title: str
    actor: str = ""
    body: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    obj: Any = None


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


def case_trail(case: Case, narrowed_to: QuerySet[AuditEvent] | None = None) -> QuerySet[CaseEvent]:
    """The case's links to its events, each with its event: its own, and those
    of every case merged into it (a merge adds them to the survivor's range,
    ``audit.case_trail.absorb``).

    In ``AUDIT_SORT`` a page is one range of the links' index, however many
    events the case has; ``narrowed_to`` keeps only those events (a filtered
    trail). The case page's audit panel and timeline read the trail through here.
    """
    links = links_of(case.pk)
    if narrowed_to is not None:
        links = links.filter(event__in=narrowed_to)
    return links


def audit_trail(case: Case, limit: int = 200) -> list[AuditEvent]:
    """The case's latest events (see ``case_trail``)."""
    links = case_trail(case).order_by(*AUDIT_SORT.ordering())[:limit]
    return [link.event for link in links]


def event_title(event: AuditEvent) -> str:
    after = event.after or {}
    before = event.before or {}
    verb = event.verb
    if verb in ("case.status_changed", "case.escalated", "case.handed_back", "case.reopened"):
        text = f"Status {before.get('status', '?')} → {after.get('status', '?')}"
        if after.get("escalation_level"):
            text += f" ({after['escalation_level']})"
        return text
    if verb == "case.closed":
        return f"Closed as {after.get('resolution', '?')}"
    if verb == "case.assigned":
        return f"Assigned to {after.get('assignee') or 'nobody'}"
    if verb == "case.severity_changed":
        return f"Severity {before.get('severity', '?')} → {after.get('severity', '?')}"
    if verb == "case.sla_breached":
        return "SLA breached"
    if verb == "case.attribution_changed":
        return f"Attribution set to {after.get('attribution_actor') or 'nobody'}"
    if verb == "case.account_linked":
        return f"Account {after.get('account', '')} linked"
    if verb == "case.account_unlinked":
        return f"Account {before.get('account', '')} unlinked"
    if verb == "action.reverted" and after.get("state") != "reverted":
        # A revert of some targets ends with the action still carried out on the rest.
        count = after.get("reverted", 0)
        targets = "1 target" if count == 1 else f"{count} targets"
        return f"Action partly reverted ({targets}): {event.target_repr}"
    if verb.startswith("action."):
        return f"Action {verb.split('.', 1)[1].replace('_', ' ')}: {event.target_repr}"
    return f"{verb.replace('.', ' ').replace('_', ' ').capitalize()}: {event.target_repr}"


def _batch_title(event: AuditEvent, case: Case) -> str:
    """One line for everything a batch brought to this case."""
    after = event.after or {}
    batch = f"Batch {event.target_id[:8]}…"
    if event.verb == "batch.import_failed":
        return f"{batch} failed to import"
    arrived = (after.get("arrivals") or {}).get(str(case.pk))
    if arrived:
        alerts, accounts = arrived[0], arrived[1]
        return f"{batch} added {alerts:,} alerts and {accounts:,} accounts"
    return f"{batch} imported {after.get('alerts_imported', 0):,} alerts"


def _event_entry(event: AuditEvent, case: Case) -> TimelineEntry:
    if event.verb in BATCH_VERBS:
        return TimelineEntry(
            event.occurred_at,
            "import",
            _batch_title(event, case),
            event.actor_label,
            detail={"verb": event.verb},
        )
    return TimelineEntry(
        event.occurred_at,
        "event",
        event_title(event),
        event.actor_label,
        event.reason,
        detail={"verb": event.verb},
    )


def _link_entry(link: CaseEvent, case: Case) -> TimelineEntry:
    return _event_entry(link.event, case)


def _evidence_entry(item: Evidence, case: Case) -> TimelineEntry:
    return TimelineEntry(
        item.created_at,
        "evidence",
        f"Evidence added: {item.title}",
        item.created_by_label,
        detail={"sha256": item.sha256, "kind": item.get_kind_display()},
        obj=item,
    )


def _note_entry(note: Note, case: Case) -> TimelineEntry:
    return TimelineEntry(
        note.created_at, "note", "Note", note.author.get_username(), note.body, obj=note
    )


def _streams(case: Case, show: str) -> list[tuple[int, QuerySet, Sort, Any]]:
    """(rank, rows, order, entry maker) of each stream the view shows."""
    # The case's links, newest first from their own index, with their events.
    events = case_trail(case).exclude(event__verb__in=TIMELINE_SKIPPED_VERBS)
    # Alert evidence is the alerts panel's; a partial index holds the rest.
    evidence = Evidence.objects.filter(case=case).exclude(kind=EvidenceKind.ALERT)
    notes = Note.objects.filter(case=case).select_related("author")
    if show == SHOW_PEOPLE:
        events = events.filter(by_person=True)
        evidence = evidence.filter(created_by__isnull=False)
    elif show == SHOW_IMPORTS:
        events = events.filter(by_person=False)
        evidence = evidence.filter(created_by__isnull=True)
        notes = None
    by_time = Sort("timeline", "", "occurred_at", descending=True, is_datetime=True)
    created = Sort("timeline", "", "created_at", descending=True, is_datetime=True)
    streams = [
        (0, events, by_time, _link_entry),
        (
            1,
            evidence.select_related("created_by").defer("content", "data"),
            created,
            _evidence_entry,
        ),
    ]
    if notes is not None:
        streams.append((2, notes, created, _note_entry))
    return streams


def _before(sort: Sort, rank: int, cursor: tuple[datetime, int, int]) -> Q:
    """Rows of stream ``rank`` after the cursor in the order (time, stream, id), newest first."""
    at, cursor_rank, pk = cursor
    if rank < cursor_rank:
        return Q(**{f"{sort.key}__lte": at})
    if rank > cursor_rank:
        return Q(**{f"{sort.key}__lt": at})
    return after_q(sort, at, pk)


def _decode(cursor: str) -> tuple[datetime, int, int]:
    parts = decode_cursor(cursor)
    try:
        at, rank, pk = parts
        if not isinstance(rank, int) or not isinstance(pk, int):
            raise InvalidCursor("bad timeline cursor")
        return datetime.fromisoformat(at), rank, pk
    except (TypeError, ValueError) as exc:
        raise InvalidCursor("bad timeline cursor") from exc


def timeline_page(case: Case, *, show: str, cursor: str | None, size: int) -> TimelinePage:
    """One page of the case's timeline, newest first, in one query per stream."""
    after = _decode(cursor) if cursor else None
    rows: list[tuple[datetime, int, int, Any, Any]] = []
    for rank, queryset, sort, make in _streams(case, show):
        if after is not None:
            queryset = queryset.filter(_before(sort, rank, after))
        for row in queryset.order_by(*sort.ordering())[: size + 1]:
            rows.append((getattr(row, sort.key), rank, row.pk, row, make))
    rows.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    shown = rows[:size]
    next_cursor = None
    if len(rows) > size and shown:
        at, rank, pk = shown[-1][:3]
        next_cursor = encode_cursor([at.isoformat(), rank, pk])
    return TimelinePage([make(row, case) for *_, row, make in shown], next_cursor)
