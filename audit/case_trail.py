"""A case's own range of the trail (``audit.models.CaseEvent``).

The trigger of migration 0007 links each new event to the cases it names;
a merge calls :func:`absorb` so the survivor's range also holds the events of
the cases merged into it, and the case page reads one range whatever the
case absorbed.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import QuerySet

from audit.models import CaseEvent

_ABSORB_SQL = """
INSERT INTO audit_caseevent (case_id, sequence, occurred_at, by_person)
SELECT %s, sequence, occurred_at, by_person
  FROM audit_caseevent
 WHERE case_id = ANY(%s)
 GROUP BY sequence, occurred_at, by_person
 ORDER BY sequence
ON CONFLICT (case_id, sequence) DO NOTHING
"""


def absorb(survivor_id: int, merged_ids: Sequence[int]) -> None:
    """Link the merged cases' events to the survivor too."""
    with connection.cursor() as cursor:
        cursor.execute(_ABSORB_SQL, [survivor_id, list(merged_ids)])


def links_of(case_id: int) -> QuerySet[CaseEvent]:
    """The case's links with their events: one range of an index ordered by
    ``sequence`` (the audit panel) and of one by ``occurred_at`` (the timeline)."""
    return CaseEvent.objects.filter(case_id=case_id).select_related("event")
