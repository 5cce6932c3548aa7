"""Which changes make a person's open form stale: only those to the fields it edits.

Every change bumps ``Case.version``. It also stamps, in ``Case.field_versions``,
each group of fields it wrote with that version and the person who wrote it
(``{"severity": {"version": 7, "by": "lee", "at": "…"}}``; ``by`` is empty
for the import). A form carries the version the person loaded and edits
some groups; it is stale only when one of those groups was stamped after that
version. A note, evidence, a tag or an imported alert bumps the version, or
not even that, and stamps no group, so a colleague's open status or severity form still
goes through; a real conflict names who changed what.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, F, Func, JSONField, Value
from django.db.models.expressions import CombinedExpression

from cases.models import Case

STATUS = "status"
SEVERITY = "severity"
ASSIGNEE = "assignee"
ATTRIBUTION = "attribution"
TLP = "TLP"
ACCOUNTS = "accounts"

# The case fields a person's change writes, by the group a form edits them in.
# Counters the import keeps and timestamps of the case's stages follow the
# change that moved them and stamp nothing on their own.
FIELD_GROUPS: dict[str, str] = {
    "status": STATUS,
    "resolution": STATUS,
    "escalation_level": STATUS,
    "severity": SEVERITY,
    "severity_rank": SEVERITY,
    "assignee": ASSIGNEE,
    "attribution_actor": ATTRIBUTION,
    "attribution_confidence": ATTRIBUTION,
    "attribution_rationale": ATTRIBUTION,
    "tlp": TLP,
    "account_count": ACCOUNTS,
}


@dataclass(frozen=True, slots=True)
class Change:
    """A group of fields as last changed: at which version, by whom (empty: the import), when."""

    group: str
    version: int
    by: str
    at: datetime | None

    @property
    def who(self) -> str:
        return self.by or "the import"


def groups_of(fields: Iterable[str]) -> list[str]:
    return sorted({FIELD_GROUPS[name] for name in fields if name in FIELD_GROUPS})


def stamp(case: Case, groups: Iterable[str], by: str, at: datetime) -> None:
    """Mark ``groups`` as changed at the case's (already bumped) version."""
    stamps = dict(case.field_versions or {})
    for group in groups:
        stamps[group] = {"version": case.version, "by": by, "at": at.isoformat()}
    case.field_versions = stamps


def stamped_in_sql(groups: Iterable[str], by: str, at: datetime) -> CombinedExpression:
    """``stamp`` for an ``UPDATE`` that also sets ``version = version + 1``."""
    entry = Func(
        Value("version"),
        F("version") + 1,
        Value("by"),
        Value(by, output_field=CharField()),
        Value("at"),
        Value(at.isoformat(), output_field=CharField()),
        function="jsonb_build_object",
        output_field=JSONField(),
    )
    pairs = [part for group in groups for part in (Value(group), entry)]
    added = Func(*pairs, function="jsonb_build_object", output_field=JSONField())
    return CombinedExpression(F("field_versions"), "||", added, output_field=JSONField())


def changes_since(case: Case, version: int, groups: Iterable[str]) -> list[Change]:
    """The groups among ``groups`` changed after ``version``, oldest change first."""
    stamps = case.field_versions or {}
    changes = []
    for group in groups:
        entry = stamps.get(group)
        if entry and entry["version"] > version:
            at = datetime.fromisoformat(entry["at"]) if entry.get("at") else None
            changes.append(Change(group, entry["version"], entry.get("by") or "", at))
    return sorted(changes, key=lambda change: change.version)
