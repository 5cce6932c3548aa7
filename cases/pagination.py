"""Keyset pagination for the case queue, ``/api/v1/cases/`` and the case page's panels.

A page is found by comparing ``(sort key, id)`` with the last row seen, never
by OFFSET, so page 500 costs what page 1 costs. The cursor is opaque to
clients: URL-safe base64 of the sort name, key, id and direction.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import (
    BooleanField,
    DateTimeField,
    Expression,
    F,
    Field,
    Func,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce

# Cases without an SLA sort after every case with one.
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


class InvalidCursor(ValueError):
    """The cursor was not made by this module (or names another sort)."""


@dataclass(frozen=True)
class Sort:
    name: str
    label: str
    key: str
    descending: bool
    is_datetime: bool
    expression: Expression | None = None

    def annotate(self, queryset: QuerySet) -> QuerySet:
        if self.expression is None:
            return queryset
        return queryset.annotate(**{self.key: self.expression})

    def ordering(self, reverse: bool = False) -> list:
        descending = self.descending != reverse
        if descending:
            return [F(self.key).desc(), F("id").desc()]
        return [F(self.key).asc(), F("id").asc()]


SORTS: dict[str, Sort] = {
    "due": Sort(
        "due",
        "SLA due (soonest first)",
        "sort_due",
        descending=False,
        is_datetime=True,
        expression=Coalesce("sla_due_at", Value(FAR_FUTURE, output_field=DateTimeField())),
    ),
    "severity": Sort("severity", "Severity (highest first)", "severity_rank", True, False),
    "activity": Sort("activity", "Last activity (latest first)", "last_activity_at", True, True),
}
DEFAULT_SORT = "activity"
SORT_CHOICES = [(s.name, s.label) for s in SORTS.values()]


@dataclass
class KeysetPage:
    items: list
    sort: Sort
    next_cursor: str | None
    previous_cursor: str | None


def encode_cursor(parts: list) -> str:
    """An opaque cursor holding ``parts`` (JSON values)."""
    raw = json.dumps(parts, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list:
    """The parts of a cursor ``encode_cursor`` made (InvalidCursor otherwise)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("invalid cursor") from exc
    if not isinstance(parts, list):
        raise InvalidCursor("invalid cursor")
    return parts


def _encode(sort: Sort, row: Any, direction: str) -> str:
    key = getattr(row, sort.key)
    if sort.is_datetime:
        key = key.isoformat()
    return encode_cursor([sort.name, key, row.pk, direction])


def _decode(sort: Sort, cursor: str) -> tuple[Any, int, str]:
    try:
        name, key, pk, direction = decode_cursor(cursor)
        if name != sort.name or direction not in ("n", "p") or not isinstance(pk, int):
            raise InvalidCursor("cursor does not match this sort")
        if sort.is_datetime:
            key = datetime.fromisoformat(key)
        elif not isinstance(key, int):
            raise InvalidCursor("bad cursor key")
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise InvalidCursor("invalid cursor") from exc
    return key, pk, direction


class _Row(Func):
    """A row value ``(a, b)``, which PostgreSQL compares as a whole."""

    function = ""
    output_field = Field()


class _Compare(Func):
    """``left < right`` (or ``>``) between two row values."""

    template = "%(expressions)s"
    output_field = BooleanField()

    def __init__(self, left: Expression, op: str, right: Expression) -> None:
        super().__init__(left, right)
        self.arg_joiner = f" {op} "


def after_q(sort: Sort, key: Any, pk: int, *, backwards: bool = False) -> Q:
    """Rows strictly after (key, pk) in the sort's order (before it when ``backwards``).

    A row comparison, ``(key, id) <= (k, pk)``, is the index range itself:
    the scan of the index on (key, id) starts exactly at the cursor. (The
    equivalent ``key < k OR (key = k AND id < pk)`` steps over every earlier
    row sharing the key, and severities share keys by the thousand.) It is
    inclusive, and the cursor's own row is left out by its id, because
    PostgreSQL estimates a row comparison from its first column alone: a
    strict ``<`` would count none of the rows sharing the key (every case
    without an SLA shares one) and plan a sort of all of them.
    """
    descending = sort.descending != backwards
    in_range = _Compare(
        _Row(F(sort.key), F("id")), "<=" if descending else ">=", _Row(Value(key), Value(pk))
    )
    return Q(in_range) & ~Q(id=pk)


def paginate(queryset: QuerySet, *, sort: str | None, cursor: str | None, size: int) -> KeysetPage:
    """One page of ``queryset`` in the named sort, starting after ``cursor``."""
    chosen = SORTS.get(sort or DEFAULT_SORT, SORTS[DEFAULT_SORT])
    return page_of(queryset, chosen, cursor=cursor, size=size)


def page_of(queryset: QuerySet, chosen: Sort, *, cursor: str | None, size: int) -> KeysetPage:
    """One page of ``queryset`` in ``chosen`` order, starting after ``cursor``
    (the case page's panels bring their own sorts)."""
    queryset = chosen.annotate(queryset)
    backwards = False
    if cursor:
        key, pk, direction = _decode(chosen, cursor)
        backwards = direction == "p"
        queryset = queryset.filter(after_q(chosen, key, pk, backwards=backwards))
    rows = list(queryset.order_by(*chosen.ordering(reverse=backwards))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    next_cursor = previous_cursor = None
    if rows:
        if more or backwards:
            next_cursor = _encode(chosen, rows[-1], "n")
        if (cursor and not backwards) or (backwards and more):
            previous_cursor = _encode(chosen, rows[0], "p")
    return KeysetPage(rows, chosen, next_cursor, previous_cursor)
