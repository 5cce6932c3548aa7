"""Merging cases: one network, one case (docs/case-workflow.md).

One function, used by leads (pages, API) and by the import, which merges
cases no person has worked when a new alert ties them (docs/alert-import.md).
Everything the merged cases hold moves to the survivor with one statement per
table: alerts, account links, evidence, notes, correlation keys and the
values flagged for review. Alerts and
correlation keys are ingestion's models; they are reached through the reverse
relations they declare on ``Case`` (``alerts``, ``correlation_keys``), so
cases never imports ingestion. The merged cases are closed as ``duplicate``
with ``merged_into`` set; the survivor takes the strictest TLP among them, and
its trail shows the events of every case merged into it (``audit_trail``).

The intake lock (``cases.locks.INTAKE_LOCK_KEY``, the import's correlation
lock) is taken first, then the cases' rows in id order: a merge never moves
keys under an import that is deciding by them, and merges and imports take
their locks in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from audit import case_trail
from audit.events import record_many
from cases.locks import INTAKE_LOCK_KEY
from cases.models import Case, CaseAccount, CaseStatus, Resolution, ReviewFlag, Tlp
from cases.workflow import versions
from cases.workflow.common import (
    StaleCase,
    case_pk,
    check_length,
    publish_on_commit,
    refusal_audited,
    required_text,
    status_snapshot,
)
from cases.workflow.may import MERGING_ROLES, may_be_merged, may_merge, needs_roles, takes_merges
from cases.workflow.table import is_person
from core import text_limits as limits
from core.refusals import Conflict, NotFound

MERGED = "case.merged"  # on the survivor: what it took in
MERGED_INTO = "case.merged_into"  # on each merged case: where it went
TLP_ORDER = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.RED)
# Cases whose enforcement actions are under way keep them: not merged away.


@dataclass
class Merge:
    """What a merge did; ``events`` are already on the trail unless the caller deferred them."""

    survivor: Case
    merged: list[int]
    alerts: int = 0
    accounts: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)


def strictest_tlp(levels: Iterable[str]) -> str:
    return max(levels, key=lambda level: TLP_ORDER.index(level))


def _reverse(name: str) -> tuple[type[Model], str]:
    """The model holding a reverse relation of ``Case``, and its column to the case."""
    relation = Case._meta.get_field(name)
    return relation.related_model, relation.field.column


@refusal_audited("merge")
def merge_cases(
    survivor: Case | int,
    merged: Sequence[Case | int],
    *,
    actor=None,
    system: str | None = None,
    reason: str,
    version: int | None = None,
    only_untouched: bool = False,
    defer_audit: bool = False,
) -> Merge:
    """Merge ``merged`` into ``survivor``, as a lead (``actor``) or the import (``system``).

    ``version`` refuses (``StaleCase``) when the survivor moved on since the
    lead read it. ``only_untouched`` (the import) leaves out, under the lock,
    any case a person has moved on from ``new`` since the import read it,
    and merges nothing into such a survivor. With ``defer_audit`` the events
    are returned, not recorded: the import records them with its own, last in
    its transaction.
    """
    survivor_id = case_pk(survivor)
    merged_ids = sorted({case_pk(case) for case in merged} - {survivor_id})
    with transaction.atomic():
        if not merged_ids:
            raise ValidationError({"cases": "Name at least one other case to merge."})
        reason = required_text(reason, "reason")
        if actor is not None:
            # The import's reasons are its own; a person's are bounded like every reason.
            check_length(reason, "reason", limits.REASON, "The reason")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INTAKE_LOCK_KEY])
        locked = {
            case.pk: case
            for case in Case.objects.select_for_update()
            .filter(pk__in=[survivor_id, *merged_ids])
            .order_by("pk")
        }
        if survivor_id not in locked:
            raise NotFound(f"Case #{survivor_id} does not exist.")
        target = locked[survivor_id]
        if system is None and not may_merge(actor, target):
            raise needs_roles(MERGING_ROLES, "Merging cases", target)
        if version is not None and target.version != version:
            raise StaleCase(target, version)
        if only_untouched:
            merged_ids = [
                pk for pk in merged_ids if pk in locked and locked[pk].status == CaseStatus.NEW
            ]
            if target.status != CaseStatus.NEW or not merged_ids:
                return Merge(survivor=target, merged=[])
        _check(target, [locked.get(pk) for pk in merged_ids], merged_ids)
        outcome = _move(target, [locked[pk] for pk in merged_ids], actor, system, reason)
        # The caller that deferred the events publishes no event to name.
        recorded = {} if defer_audit else {e.target_id: e for e in record_many(outcome.events)}
        for pk in [survivor_id, *merged_ids]:
            verb = MERGED if pk == survivor_id else MERGED_INTO
            publish_on_commit(Case(pk=pk), verb, recorded.get(str(pk)))
    return outcome


def _check(survivor: Case, cases: list[Case | None], ids: list[int]) -> None:
    if not takes_merges(survivor):
        raise Conflict(f"Case #{survivor.pk} is closed: cases are merged into an open case.")
    for pk, case in zip(ids, cases, strict=True):
        if case is None:
            raise ValidationError({"cases": f"Case #{pk} does not exist."})
        if not may_be_merged(case):
            raise Conflict(
                f"Case #{pk} is {case.status}: only open cases without enforcement "
                "actions under way are merged."
            )


# Account links, correlation keys and review flags are unique per case: the
# survivor keeps its own, and of the merged cases' duplicates the earliest row
# is moved.
_DROP_DUPLICATES_SQL = """
DELETE FROM {table} AS d
 USING {table} AS k
 WHERE d.case_id = ANY(%s) AND k.{column} = d.{column}
   AND (k.case_id = %s OR (k.case_id = ANY(%s) AND k.id < d.id))
"""
_MOVE_SQL = "UPDATE {table} SET {case_column} = %s WHERE {case_column} = ANY(%s)"
# The survivor inherits the merged cases' other relations; relations among
# the cases merged go (``merged_into`` says more).
_INHERIT_RELATIONS_SQL = """
INSERT INTO cases_case_related_cases (from_case_id, to_case_id)
SELECT DISTINCT pair.a, pair.b
  FROM cases_case_related_cases r,
       LATERAL (VALUES (%s::bigint, r.to_case_id), (r.to_case_id, %s::bigint)) AS pair(a, b)
 WHERE r.from_case_id = ANY(%s) AND NOT r.to_case_id = ANY(%s)
ON CONFLICT DO NOTHING
"""
_DROP_RELATIONS_SQL = """
DELETE FROM cases_case_related_cases
 WHERE from_case_id = ANY(%s) AND to_case_id = ANY(%s)
"""


def _move(survivor: Case, cases: list[Case], actor, system: str | None, reason: str) -> Merge:
    ids = [case.pk for case in cases]
    everyone = [survivor.pk, *ids]
    now = timezone.now()
    person = actor if is_person(actor) else None
    by = person.get_username() if person else ""
    outcome = Merge(survivor=survivor, merged=ids)
    with connection.cursor() as cursor:
        for model, column in (
            (CaseAccount, "account_id"),
            _key_column(_reverse("correlation_keys")[0]),
            (ReviewFlag, "indicator_id"),
        ):
            table = model._meta.db_table
            cursor.execute(
                _DROP_DUPLICATES_SQL.format(table=table, column=column), [ids, survivor.pk, ids]
            )
        moved: dict[str, int] = {}
        for name in (
            "alerts",
            "account_links",
            "evidence",
            "notes",
            "correlation_keys",
            "review_flags",
        ):
            model, case_column = _reverse(name)
            cursor.execute(
                _MOVE_SQL.format(table=model._meta.db_table, case_column=case_column),
                [survivor.pk, ids],
            )
            moved[name] = cursor.rowcount
        cursor.execute(_INHERIT_RELATIONS_SQL, [survivor.pk, survivor.pk, ids, everyone])
        cursor.execute(_DROP_RELATIONS_SQL, [everyone, everyone])
    case_trail.absorb(survivor.pk, ids)
    outcome.alerts, outcome.accounts = moved["alerts"], moved["account_links"]

    # Cases merged into these before now point at the survivor: its trail
    # reaches every case it absorbed in one step.
    Case.objects.filter(merged_into_id__in=ids).update(merged_into_id=survivor.pk)
    before = {case.pk: status_snapshot(case) for case in cases}
    Case.objects.filter(pk__in=ids).update(
        status=CaseStatus.CLOSED,
        resolution=Resolution.DUPLICATE,
        escalation_level="",
        closed_at=now,
        merged_into_id=survivor.pk,
        alert_count=0,
        account_count=0,
        evidence_count=0,
        version=F("version") + 1,
        field_versions=versions.stamped_in_sql([versions.STATUS], by, now),
        last_activity_at=now,
        updated_by=person,
        updated_at=now,
    )
    tlp_before = survivor.tlp
    survivor.tlp = strictest_tlp([survivor.tlp, *(case.tlp for case in cases)])
    survivor.alert_count += sum(case.alert_count for case in cases)
    survivor.account_count += outcome.accounts
    survivor.evidence_count += moved["evidence"]
    survivor.is_possible_evasion = survivor.is_possible_evasion or any(
        case.is_possible_evasion for case in cases
    )
    survivor.version += 1
    if survivor.tlp != tlp_before:
        versions.stamp(survivor, [versions.TLP], by, now)
    survivor.last_activity_at = now
    survivor.updated_by = person
    survivor.save(
        update_fields=[
            "tlp",
            "field_versions",
            "alert_count",
            "account_count",
            "evidence_count",
            "is_possible_evasion",
            "version",
            "last_activity_at",
            "updated_by",
            "updated_at",
        ]
    )

    who = {"actor": person, "system": None if person else (system or "import")}
    outcome.events = [
        {
            "verb": MERGED_INTO,
            **who,
            "target": case,
            "cases": [case.pk, survivor.pk],
            "before": before[case.pk],
            "after": {
                "status": CaseStatus.CLOSED,
                "resolution": Resolution.DUPLICATE,
                "merged_into": survivor.pk,
            },
            "reason": reason,
        }
        for case in cases
    ]
    outcome.events.append(
        {
            "verb": MERGED,
            **who,
            "target": survivor,
            "cases": [survivor.pk],
            "before": {"tlp": tlp_before},
            "after": {
                "merged": ids,
                "tlp": survivor.tlp,
                "alerts_moved": outcome.alerts,
                "accounts_moved": outcome.accounts,
                "evidence_moved": moved["evidence"],
                "version": survivor.version,
            },
            "reason": reason,
        }
    )
    return outcome


def _key_column(model: type[Model]) -> tuple[type[Model], str]:
    return model, model._meta.get_field("key").column
