"""A person's inbox: the entries they may read, unread first, a page at a time.

Entries pass through case visibility when read (``cases.visibility``): an
entry about a case the person may no longer see (a TLP:RED case they are not
assigned, say) is neither listed nor counted. Pages are keyset pages on
(read or not, id), so any page costs what the first costs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from cases.visibility import visible_case_rows
from notifications.models import Notification

PAGE_SIZE = 50


class BadCursor(ValueError):
    """The ``after`` parameter was not made by ``Page.next_cursor``."""


@dataclass(frozen=True)
class Page:
    entries: list[Notification]
    next_cursor: str | None


def readable(person) -> QuerySet[Notification]:
    """The person's own entries about cases they may see."""
    return visible_case_rows(person, Notification.objects.filter(person=person))


def unread_count(person) -> int:
    """One query: the navigation's count."""
    return readable(person).filter(read_at__isnull=True).count()


def page(person, after: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of the inbox, unread entries first, newest first within each."""
    rows = readable(person).annotate(
        is_read=Case(
            When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )
    if after:
        read, last = _parse(after)
        rows = rows.filter(Q(is_read__gt=read) | Q(is_read=read, id__lt=last))
    found = list(rows.select_related("case", "action").order_by("is_read", "-id")[: size + 1])
    entries = found[:size]
    more = len(found) > size
    next_cursor = f"{entries[-1].is_read}-{entries[-1].pk}" if more else None
    return Page(entries, next_cursor)


def _parse(after: str) -> tuple[int, int]:
    read, _, last = after.partition("-")
    if read not in ("0", "1") or not last.isdigit():
        raise BadCursor(after)
    return int(read), int(last)


def mark_read(person, entry_id: int) -> bool:
    """Mark one of the person's entries read; False when they have no such entry."""
    entry = readable(person).filter(pk=entry_id)
    if not entry.exists():
        return False
    entry.filter(read_at__isnull=True).update(read_at=timezone.now())
    return True


def mark_all_read(person) -> int:
    """Mark every unread entry the person may read; how many."""
    return readable(person).filter(read_at__isnull=True).update(read_at=timezone.now())
