"""Write the correlation's outcome: keys, links, relations and evidence; cases are
opened and added to by ``cases.intake``, which owns what a case is, and merged
by ``cases.workflow.merge_cases``, the merge leads use too."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from cases.intake import (
    Arrival,
    FlagRaise,
    Opening,
    Raised,
    join_cases,
    open_cases,
    raise_flags,
)
from cases.workflow import merge_cases
from ingestion.importing.correlate import CaseRef, Correlation, Decision, resolve

_TAKEN_KEYS_SQL = """
SELECT correlation_key FROM cases_case WHERE status <> 'closed' AND correlation_key = ANY(%b)
"""
_KEYS_SQL = """
INSERT INTO ingestion_correlationkey (key, case_id, indicator_id, label, created_at)
SELECT *, %s::timestamptz FROM unnest(%b::text[], %b::bigint[], %b::bigint[], %b::text[])
ORDER BY 1, 2
ON CONFLICT (key, case_id) DO NOTHING
"""
_CASE_ACCOUNTS_SQL = """
INSERT INTO cases_caseaccount (case_id, account_id, reason, linked_by_detector, linked_at)
SELECT *, %s::timestamptz FROM unnest(%b::bigint[], %b::bigint[], %b::text[], %b::text[])
ORDER BY 1, 2
ON CONFLICT (case_id, account_id) DO NOTHING
RETURNING case_id
"""
_RELATED_SQL = """
INSERT INTO cases_case_related_cases (from_case_id, to_case_id)
SELECT * FROM unnest(%b::bigint[], %b::bigint[]) ORDER BY 1, 2
ON CONFLICT DO NOTHING
"""
_RELATED_PAIRS_SQL = """
SELECT r.from_case_id, r.to_case_id
  FROM unnest(%b::bigint[], %b::bigint[]) AS v(a, b)
  JOIN cases_case_related_cases r ON r.from_case_id = v.a AND r.to_case_id = v.b
"""
_EVIDENCE_SQL = """
INSERT INTO cases_evidence (case_id, kind, title, content, data, source_ref, sha256,
                            created_by_detector, created_at)
SELECT *, %s::timestamptz
  FROM unnest(%b::bigint[], %b::text[], %b::text[], %b::text[], %b::text[]::jsonb[],
              %b::text[], %b::text[], %b::text[])
ON CONFLICT DO NOTHING
RETURNING case_id
"""
_ALERTS_SQL = """
UPDATE ingestion_alert AS a SET status = 'imported', case_id = v.case_id, imported_at = %s,
       error = ''
  FROM unnest(%b::bigint[], %b::bigint[]) AS v(id, case_id)
 WHERE a.id = v.id AND a.id = ANY(%b::bigint[]) AND a.status = 'pending'
"""


@dataclass
class Written:
    touched: list[int]
    opened: int
    joined: int
    related: int
    evidence: int
    case_accounts: int
    raised: list[Raised]
    flagged: int = 0
    merged: int = 0
    # What each case received, (alerts, accounts linked): the case's timeline
    # reads it from the batch's event.
    arrivals: dict[int, tuple[int, int]] = field(default_factory=dict)
    # The merges' audit events, recorded with the batch's own (``record_intake``).
    merge_events: list[dict] = field(default_factory=list)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json(value) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def write(cursor, correlation: Correlation, now: datetime) -> Written:
    _open_cases(cursor, correlation.opened, now)

    if correlation.new_keys:
        rows = sorted(
            (key.key, case.id, key.indicator_id, key.label) for case, key in correlation.new_keys
        )
        cursor.execute(_KEYS_SQL, [now, *map(list, zip(*rows, strict=True))])

    linked = Counter()
    if correlation.new_accounts:
        detector = correlation.decisions[0].alert.detector_name
        rows = sorted(
            (case.id, account, reason) for case, account, reason in correlation.new_accounts
        )
        cursor.execute(
            _CASE_ACCOUNTS_SQL,
            [
                now,
                [r[0] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
                [detector] * len(rows),
            ],
        )
        linked = Counter(case_id for (case_id,) in cursor.fetchall())

    evidence = _EvidenceRows()
    # Cases related before keep their relation and its note; only new pairs are written.
    existing = _already_related(cursor, correlation)
    pairs: set[tuple[int, int]] = set()
    written_relations = []
    for relation in correlation.relations:
        a, b = relation.a.id, relation.b.id
        pair = (min(a, b), max(a, b))
        if a == b or pair in existing or pair in pairs:
            continue
        pairs.add(pair)
        written_relations.append(relation)
        for this, other in ((relation.a, relation.b), (relation.b, relation.a)):
            evidence.add(
                this.id,
                "link",
                f"{'Possible evasion: related' if relation.evasion else 'Related'} to case #{other.id}",
                f"Related to case #{other.id}: {relation.why}.",
                {"related_case": other.id, "alert": relation.alert.external_id},
                f"related:{this.id}:{other.id}",
                relation.alert.detector_name,
            )
    if pairs:
        ordered = sorted(pairs | {(b, a) for a, b in pairs})
        cursor.execute(_RELATED_SQL, [[a for a, _ in ordered], [b for _, b in ordered]])

    for decision in correlation.decisions:
        _alert_evidence(evidence, decision)
    added = Counter()
    if evidence.rows:
        cursor.execute(_EVIDENCE_SQL, [now, *map(list, zip(*evidence.rows, strict=True))])
        added = Counter(case_id for (case_id,) in cursor.fetchall())

    flagged = raise_flags(
        cursor,
        [
            FlagRaise(flag.case.id, flag.indicator_id, flag.kind, flag.detail)
            for flag in correlation.flags
        ],
        now,
    )

    decisions = sorted(correlation.decisions, key=lambda d: d.alert.id)
    alert_ids = [d.alert.id for d in decisions]
    cursor.execute(_ALERTS_SQL, [now, alert_ids, [d.case.id for d in decisions], alert_ids])

    cases: dict[int, CaseRef] = {}
    for decision in correlation.decisions:
        cases[decision.case.id] = decision.case
    for relation in written_relations:
        cases.setdefault(relation.a.id, relation.a)
        cases.setdefault(relation.b.id, relation.b)
    touched = sorted(cases)
    raised = join_cases(
        cursor,
        [
            Arrival(
                case_id=ref.id,
                alerts=ref.alerts,
                accounts=linked.get(ref.id, 0),
                evidence=added.get(ref.id, 0),
                rank=ref.max_rank,
                possible_evasion=ref.possible_evasion,
            )
            for ref in (cases[pk] for pk in touched)
        ],
        now,
    )
    merged, merge_events = _merge(correlation)
    arrivals = {pk: (cases[pk].alerts, linked.get(pk, 0)) for pk in touched}
    return Written(
        touched=touched,
        opened=len(correlation.opened),
        joined=sum(1 for d in correlation.decisions if not d.opened),
        related=len(pairs),
        evidence=sum(added.values()),
        case_accounts=sum(linked.values()),
        raised=raised,
        flagged=len(flagged),
        merged=merged,
        merge_events=merge_events,
        arrivals={pk: got for pk, got in arrivals.items() if any(got)},
    )


def _merge(correlation: Correlation) -> tuple[int, list[dict]]:
    """Merge the untouched cases the batch tied together, each group into its oldest.

    Last, once every alert, key, link and flag is written where correlation
    put it: the merge then moves all of it, set-based, as it does for a lead.
    """
    groups: dict[int, tuple[CaseRef, list[CaseRef], list[str]]] = {}
    for step in correlation.merges:
        survivor = resolve(step.survivor)
        _, members, reasons = groups.setdefault(id(survivor), (survivor, [], []))
        members.append(step.merged)
        reasons.append(step.why())
    merged = 0
    events: list[dict] = []
    for survivor, members, reasons in sorted(groups.values(), key=lambda g: g[0].id):
        outcome = merge_cases(
            survivor.id,
            [member.id for member in members],
            system="import",
            reason="; ".join(dict.fromkeys(reasons))[:5000],
            only_untouched=True,
            defer_audit=True,
        )
        merged += len(outcome.merged)
        events += outcome.events
    return merged, events


def _already_related(cursor, correlation: Correlation) -> set[tuple[int, int]]:
    """Of the pairs this batch relates, those related before (both directions are stored)."""
    pairs = sorted(
        {
            (min(r.a.id, r.b.id), max(r.a.id, r.b.id))
            for r in correlation.relations
            if not (r.a.is_new or r.b.is_new) and r.a.id != r.b.id
        }
    )
    if not pairs:
        return set()
    cursor.execute(_RELATED_PAIRS_SQL, [[a for a, _ in pairs], [b for _, b in pairs]])
    return set(cursor.fetchall())


def _open_cases(cursor, opened: list[CaseRef], now: datetime) -> None:
    if not opened:
        return
    # A case's correlation key is unique among open cases; the first of the
    # alert's keys that no open case holds (an actioned case may hold one).
    cursor.execute(_TAKEN_KEYS_SQL, [sorted({k for ref in opened for k in ref.primary_keys})])
    taken = {key for (key,) in cursor.fetchall()}
    for ref in opened:
        ref.correlation_key = next((k for k in ref.primary_keys if k not in taken), "")
        if ref.correlation_key:
            taken.add(ref.correlation_key)
    openings = [
        Opening(
            title=ref.title,
            summary=ref.summary,
            rank=ref.max_rank,
            correlation_key=ref.correlation_key,
            possible_evasion=ref.possible_evasion,
        )
        for ref in opened
    ]
    for ref, case in zip(opened, open_cases(openings, now), strict=True):
        ref.id = case.id
        ref.created_at = case.created_at


class _EvidenceRows:
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, case_id, kind, title, content, data, source_ref, detector) -> None:
        self.rows.append(
            (
                case_id,
                kind,
                title[:300],
                content,
                _json(data),
                source_ref,
                _sha256(content),
                detector,
            )
        )


def _alert_evidence(evidence: _EvidenceRows, decision: Decision) -> None:
    alert = decision.alert
    case_id = decision.case.id
    if decision.opened:
        correlation = "Opened this case."
    else:
        correlation = "Joined this case: it " + "; it ".join(dict.fromkeys(decision.reasons)) + "."
    heading = alert.title or alert.kind
    content = "\n\n".join(part for part in (heading, alert.description, correlation) if part)
    data = {
        "alert_id": alert.id,
        "external_id": alert.external_id,
        "kind": alert.kind,
        "severity": alert.severity,
        "confidence": alert.confidence,
        "detector": alert.detector_name,
        "observed_at": alert.observed_at.isoformat(),
        "campaign_hint": alert.campaign_hint,
        "labels": alert.labels,
        "accounts": [ref.external_id for ref in alert.accounts[:200]],
        "account_total": len(alert.accounts),
        "indicators": [{"type": t, "value": v} for t, v, _, _ in alert.indicators[:200]],
        "indicator_total": len(alert.indicators),
        "correlation": correlation,
    }
    source = f"alert:{alert.id}"
    evidence.add(
        case_id,
        "alert",
        f"Alert {alert.external_id}: {heading}",
        content,
        data,
        source,
        alert.detector_name,
    )
    for number, sample in enumerate(alert.samples, start=1):
        text = (
            f"Prompt:\n{sample.get('prompt_excerpt', '')}\n\n"
            f"Response:\n{sample.get('response_excerpt', '')}"
        )
        label = sample.get("request_id") or f"{number} of alert {alert.external_id}"
        evidence.add(
            case_id,
            "sample",
            f"Sample {label}",
            text,
            {**sample, "alert": alert.external_id},
            f"{source}:sample:{number}",
            alert.detector_name,
        )
    if alert.metrics:
        figures = ", ".join(
            f"{key.replace('_', ' ')}: {value}" for key, value in alert.metrics.items()
        )
        evidence.add(
            case_id,
            "traffic",
            f"Traffic figures from alert {alert.external_id}",
            figures,
            {**alert.metrics, "alert": alert.external_id},
            f"{source}:traffic",
            alert.detector_name,
        )
