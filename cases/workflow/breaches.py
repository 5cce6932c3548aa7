"""SLA breaches, marked once each by the beat task (docs/case-workflow.md, "SLA")."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from audit.events import record_many
from cases.models import Case
from cases.workflow.common import publish_on_commit

SLA_BREACHED = "case.sla_breached"
SYSTEM = "sla"

# One statement whatever the number of cases: each open, running clock past
# its due time and not yet breached is marked, and only those rows return.
# Served by the partial index case_sla_running.
_BREACH_SQL = """
UPDATE cases_case SET sla_breached_at = %(now)s
 WHERE sla_breached_at IS NULL
   AND sla_paused_at IS NULL
   AND sla_due_at < %(now)s
   AND status <> 'closed'
RETURNING id, title, sla_due_at
"""


def mark_breaches(now: datetime | None = None) -> list[int]:
    """Mark every case whose SLA just passed as breached, once: one
    ``case.sla_breached`` event each (as the system) and ``case_changed``
    once committed. The ids marked; a second run marks none of them again."""
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_BREACH_SQL, {"now": now})
            rows = sorted(cursor.fetchall())
        events = record_many(
            {
                "verb": SLA_BREACHED,
                "system": SYSTEM,
                "target": Case(pk=pk, title=title),
                "cases": [pk],
                "before": {"sla_breached_at": None},
                "after": {"sla_due_at": due, "sla_breached_at": now},
            }
            for pk, title, due in rows
        )
        for (pk, _title, _due), event in zip(rows, events, strict=True):
            publish_on_commit(Case(pk=pk), SLA_BREACHED, event)
    return [pk for pk, _title, _due in rows]
