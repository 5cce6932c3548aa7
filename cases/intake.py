"""How the import opens cases and adds to them: set-based, one statement per step.

The import decides which alerts go to which case (correlation is ingestion's);
what a case is — its status, severity, SLA due time, counters and version —
is decided here, for a whole batch at once:

* ``open_cases`` opens the cases a batch starts, with the severity of their
  most severe alert and the SLA due time that severity gives. It comes first,
  because the import needs the new ids for the keys, links and evidence it
  writes.
* ``join_cases`` then adds what the batch brought to every case it touched:
  the counters, a severity raised by a more severe alert (with its SLA due
  time), the evasion flag. A raised severity is a change a person could have
  made: it bumps the case's ``version`` and stamps its severity as changed by
  the import (``cases.workflow.versions``: an open severity form is stale).
  Counters alone never bump the version, so a busy case's open forms do not
  go stale with every batch.
* ``raise_flags`` flags strong values on cases for a lead to review
  (``cases.models.ReviewFlag``): once per case and value, so a value a lead
  has decided on is not flagged on that case again.
* ``record_intake`` writes the raised severities on the cases' trails, one
  event per case, in the batch's single ``record_many`` (with the import's own
  event): last in the transaction, so the audit chain lock is taken after
  every case row lock, as the workflow takes them.

``join_cases`` takes the import's server-binding psycopg cursor (``%b``
parameters), so its statement is prepared once per connection like the rest
of the import; ``open_cases`` is one ``bulk_create`` on the same connection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from audit.events import record_many
from cases.models import SEVERITY_RANK, Case, CaseStatus, Severity
from cases.workflow.common import publish_on_commit

RANK_SEVERITY = {rank: str(severity) for severity, rank in SEVERITY_RANK.items()}
# The verb a person's severity change is audited with: the trail reads the same.
SEVERITY_CHANGED = "case.severity_changed"


def severity_rank(severity: str) -> int:
    """The rank of a severity name (the lowest for one this version does not know)."""
    return SEVERITY_RANK.get(severity, SEVERITY_RANK[Severity.LOW])


@dataclass(frozen=True, slots=True)
class Opening:
    """A case the import opens, from the alert that opens it."""

    title: str
    summary: str
    rank: int  # of the most severe alert the batch gives it
    correlation_key: str
    possible_evasion: bool


@dataclass(frozen=True, slots=True)
class Opened:
    id: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Arrival:
    """What one batch brought to one case: counts to add, and how severe it was."""

    case_id: int
    alerts: int
    accounts: int
    evidence: int
    rank: int  # of the most severe alert it received; 0 when only related
    possible_evasion: bool


@dataclass(frozen=True, slots=True)
class Raised:
    """A case whose severity a batch raised, as it was and as it is."""

    case_id: int
    title: str
    severity_was: str
    severity: str
    sla_due_was: datetime | None
    sla_due_at: datetime | None
    version: int


# Each case row is locked (in id order) and read before it is changed, so the
# severity the trail says it was raised from is the one it had, even when a
# person changed it while this batch was being imported.
_JOIN_SQL = """
WITH was AS (
    SELECT id, severity, sla_due_at FROM cases_case
     WHERE id = ANY(%b::bigint[])
     ORDER BY id
       FOR NO KEY UPDATE
)
UPDATE cases_case AS c SET
    alert_count = c.alert_count + v.alerts,
    account_count = c.account_count + v.accounts,
    evidence_count = c.evidence_count + v.evidence,
    severity_rank = GREATEST(c.severity_rank, v.rank),
    severity = CASE WHEN v.rank > c.severity_rank THEN v.severity ELSE c.severity END,
    sla_due_at = CASE WHEN v.rank > c.severity_rank
                      THEN LEAST(COALESCE(c.sla_due_at, 'infinity'),
                                 COALESCE(c.sla_started_at, c.created_at)
                                 + v.sla_hours * interval '1 hour'
                                 + c.sla_paused_for)
                      ELSE c.sla_due_at END,
    version = CASE WHEN v.rank > c.severity_rank THEN c.version + 1 ELSE c.version END,
    field_versions = CASE WHEN v.rank > c.severity_rank
                          THEN c.field_versions || jsonb_build_object('severity', jsonb_build_object(
                                   'version', c.version + 1, 'by', '', 'at', %s::timestamptz))
                          ELSE c.field_versions END,
    updated_by_id = CASE WHEN v.rank > c.severity_rank THEN NULL ELSE c.updated_by_id END,
    is_possible_evasion = c.is_possible_evasion OR v.evasion,
    last_activity_at = %s,
    updated_at = %s
  FROM unnest(%b::bigint[], %b::int[], %b::int[], %b::int[], %b::int[], %b::text[], %b::int[],
              %b::bool[]) AS v(id, alerts, accounts, evidence, rank, severity, sla_hours, evasion),
       was
 WHERE c.id = v.id AND c.id = ANY(%b::bigint[]) AND was.id = c.id
RETURNING c.id, c.title, was.severity, c.severity, was.sla_due_at, c.sla_due_at, c.version
"""


@dataclass(frozen=True, slots=True)
class FlagRaise:
    """A strong value the import flags on a case, and why."""

    case_id: int
    indicator_id: int
    kind: str
    detail: str


_FLAGS_SQL = """
INSERT INTO cases_reviewflag (case_id, indicator_id, kind, detail, status, raised_at,
                              resolution_reason)
SELECT v.case_id, v.indicator_id, v.kind, v.detail, 'open', %s, ''
  FROM unnest(%b::bigint[], %b::bigint[], %b::text[], %b::text[])
       AS v(case_id, indicator_id, kind, detail)
 ORDER BY 1, 2
ON CONFLICT (case_id, indicator_id) DO NOTHING
RETURNING case_id
"""


def raise_flags(cursor, flags: Sequence[FlagRaise], now: datetime) -> list[int]:
    """Flag values on cases (once per case and value); the ids of the cases newly flagged."""
    if not flags:
        return []
    rows = sorted({(f.case_id, f.indicator_id): f for f in flags}.values(), key=_flag_order)
    cursor.execute(
        _FLAGS_SQL,
        [
            now,
            [f.case_id for f in rows],
            [f.indicator_id for f in rows],
            [f.kind for f in rows],
            [f.detail[:2000] for f in rows],
        ],
    )
    return [case_id for (case_id,) in cursor.fetchall()]


def _flag_order(flag: FlagRaise) -> tuple[int, int]:
    return (flag.case_id, flag.indicator_id)


# One probe per case of the trail's case index, on its partial index of
# people's steps (audit_caseevent_people), stopping at the first: no walk
# through the GIN index on every event's case ids, whose pending list of the
# import's own recent events a probe there reads through.
_WORKED_SQL = """
SELECT c.id FROM unnest(%b::bigint[]) AS c(id)
 WHERE EXISTS (SELECT 1 FROM audit_caseevent l WHERE l.case_id = c.id AND l.by_person)
"""


def worked_by_people(cursor, case_ids: Sequence[int]) -> set[int]:
    """Of these cases, those with an event by a person on their trail.

    The import merges only cases nobody has worked (docs/alert-import.md);
    it asks here about the cases still ``new`` and unassigned, whose status
    says nothing yet (a note, say, leaves both as they were).
    """
    if not case_ids:
        return set()
    cursor.execute(_WORKED_SQL, [sorted(case_ids)])
    return {pk for (pk,) in cursor.fetchall()}


def open_cases(openings: Sequence[Opening], now: datetime) -> list[Opened]:
    """Open new cases in one INSERT; their ids and creation times, in order."""
    if not openings:
        return []
    sla_hours = settings.CASE_SLA_HOURS
    cases = []
    for opening in openings:
        severity = RANK_SEVERITY[max(opening.rank, SEVERITY_RANK[Severity.LOW])]
        cases.append(
            Case(
                title=opening.title,
                summary=opening.summary,
                status=CaseStatus.NEW,
                severity=severity,
                severity_rank=SEVERITY_RANK[severity],
                sla_due_at=now + timedelta(hours=sla_hours[severity]),
                correlation_key=opening.correlation_key,
                is_possible_evasion=opening.possible_evasion,
                last_activity_at=now,
            )
        )
    return [Opened(case.pk, case.created_at) for case in Case.objects.bulk_create(cases)]


def join_cases(cursor, arrivals: Sequence[Arrival], now: datetime) -> list[Raised]:
    """Add a batch to the cases it touched (one row per case); the cases whose severity rose.

    Pass what it returns to ``record_intake`` before the transaction ends.
    """
    if not arrivals:
        return []
    sla_hours = settings.CASE_SLA_HOURS
    rows = sorted(arrivals, key=lambda arrival: arrival.case_id)
    ids = [row.case_id for row in rows]
    severities = [RANK_SEVERITY.get(row.rank, Severity.LOW.value) for row in rows]
    cursor.execute(
        _JOIN_SQL,
        [
            ids,
            now,
            now,
            now,
            ids,
            [row.alerts for row in rows],
            [row.accounts for row in rows],
            [row.evidence for row in rows],
            [row.rank for row in rows],
            severities,
            [sla_hours[severity] for severity in severities],
            [row.possible_evasion for row in rows],
            ids,
        ],
    )
    return sorted(
        (Raised(*line) for line in cursor.fetchall() if line[2] != line[3]),
        key=lambda raised: raised.case_id,
    )


def record_intake(raised: Sequence[Raised], *, system: str, also: Sequence[Mapping] = ()) -> None:
    """Audit raised severities as ``system``, with the caller's own events (``also``,
    entries as ``record_many`` takes them) in one ``record_many``; publish
    ``cases.signals.case_changed`` for each raised case once committed."""
    record_many(
        [
            *(
                {
                    "verb": SEVERITY_CHANGED,
                    "system": system,
                    "target": Case(pk=item.case_id, title=item.title),
                    "before": {"severity": item.severity_was, "sla_due_at": item.sla_due_was},
                    "after": {
                        "severity": item.severity,
                        "sla_due_at": item.sla_due_at,
                        "version": item.version,
                    },
                }
                for item in raised
            ),
            *also,
        ]
    )
    for item in raised:
        publish_on_commit(Case(pk=item.case_id), SEVERITY_CHANGED)
