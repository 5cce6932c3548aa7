"""The two kinds of signed export file: what their records hold and how each
record proves itself (docs/audit-exports.md).

* The audit trail's (``AUDIT``): each record carries every field an event's
  hash covers (``audit.chain.HASHED_FIELDS``) and the hash, so it proves
  itself; consecutive events also prove their link (``prev_hash``).
* The enforcement ledger's (``LEDGER``, written by ``enforcement.ledger``):
  every action target of a period, each record proving itself by
  ``row_sha256``, the SHA-256 of its own cells.

The header, numbering, trailer, signature and body digest, and their checks,
are shared (``audit.exportfile``). Pure Python, no Django, like it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from audit.chain import HASHED_FIELDS, compute_hash, format_timestamp
from audit.signing import canonical

FORMAT = "dossier-audit-export/v1"
LEDGER_FORMAT = "dossier-enforcement-ledger/v1"
OUTPUTS = ("csv", "jsonl")
COLUMNS = ("row", *HASHED_FIELDS, "hash")
# The enforcement ledger's columns: one record per action target
# (docs/audit-exports.md, "The enforcement ledger").
LEDGER_COLUMNS = (
    "row",
    "target_id",
    "target_type",
    "value",
    "account",
    "target_state",
    "reference",
    "error",
    "executed_at",
    "reverted_at",
    "reverted_by",
    "revert_reason",
    "action_id",
    "kind",
    "action_state",
    "case_id",
    "case_title",
    "case_tlp",
    "proposed_by",
    "proposed_at",
    "approved_by",
    "approved_at",
    "approval_comment",
    "second_approved_by",
    "second_approved_at",
    "second_approval_comment",
    "expires_at",
    "row_sha256",
)
_LEDGER_INTEGERS = ("row", "target_id", "action_id", "case_id")
# The first cell of the CSV trailer; a record's first cell is its row number.
CSV_TRAILER = "manifest"
_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


class ExportBroken(Exception):
    """The export does not verify; ``row`` names the record at fault (None: the
    manifest or the file as a whole)."""

    def __init__(self, row: int | None, message: str):
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class FileFormat:
    """What the records of one kind of export hold and how each proves itself."""

    name: str
    columns: tuple[str, ...]
    # What one record stands for, in messages ("event", "target").
    noun: str
    # The two columns by which the manifest names the first and the last record.
    ends: tuple[str, str]
    # The manifest's key for the last item the export could have held when it began.
    through: str
    # (position, item) -> the record's values as JSON types.
    record: Callable[[int, Mapping[str, Any]], dict[str, Any]]
    # (position, item) -> the record's CSV cells, in column order.
    csv_cells: Callable[[int, Mapping[str, Any]], list[Any]]
    # A CSV row's cells by column -> the record's values; ValueError when damaged.
    from_csv: Callable[[dict[str, Any]], dict[str, Any]]
    # (position, record, the previous record or None): raises ExportBroken.
    check: Callable[[int, dict[str, Any], dict[str, Any] | None], None]


def csv_line(cells: Iterable[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode()


# The audit trail: each record carries the event's hashed fields and its hash.


def _event_record(position: int, event: Mapping[str, Any]) -> dict[str, Any]:
    """A record's values as JSON types: ``before``/``after`` stay the jsonb text
    the hash covers."""
    record: dict[str, Any] = {"row": position}
    for name in (*HASHED_FIELDS, "hash"):
        value = event[name]
        if name == "occurred_at":
            value = format_timestamp(value)
        elif name == "case_ids":
            value = sorted(int(c) for c in value)
        record[name] = value
    return record


# A CSV record's cells, by position: the row, then the event's fields.
_CSV_FIELDS = operator.itemgetter(*COLUMNS[1:])
_CSV_TIME = COLUMNS.index("occurred_at")
_CSV_CASES = COLUMNS.index("case_ids")


def _event_cells(position: int, event: Mapping[str, Any]) -> list[Any]:
    """A record's CSV cells: the values of ``_event_record``, ``case_ids`` as its
    JSON array. ``None`` is an empty cell (the csv module writes it so), never
    ambiguous: a stored jsonb text is never empty."""
    cells = [position, *_CSV_FIELDS(event)]
    cells[_CSV_TIME] = format_timestamp(cells[_CSV_TIME])
    cells[_CSV_CASES] = "[" + ",".join([str(int(c)) for c in sorted(cells[_CSV_CASES])]) + "]"
    return cells


def _event_from_csv(record: dict[str, Any]) -> dict[str, Any]:
    record["row"] = int(record["row"])
    record["sequence"] = int(record["sequence"])
    record["actor_id"] = int(record["actor_id"]) if record["actor_id"] else None
    record["case_ids"] = json.loads(record["case_ids"])
    for name in ("before", "after"):
        record[name] = record[name] or None
    return record


def _event_fields(record: dict[str, Any]) -> dict[str, Any]:
    fields = {name: record[name] for name in HASHED_FIELDS}
    fields["occurred_at"] = datetime.strptime(record["occurred_at"], _TIMESTAMP).replace(tzinfo=UTC)
    return fields


def _check_event(position: int, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    sequence = record["sequence"]
    try:
        recomputed = compute_hash(**_event_fields(record))
    except (ValueError, TypeError) as exc:
        raise ExportBroken(position, f"row {position} (event {sequence}) is damaged") from exc
    if recomputed != record["hash"]:
        raise ExportBroken(
            position,
            f"row {position} (event {sequence}) was edited: its fields do not match its hash",
        )
    if previous is None:
        return
    if sequence <= previous["sequence"]:
        raise ExportBroken(
            position,
            f"row {position} (event {sequence}) is out of order: it follows event "
            f"{previous['sequence']}",
        )
    if sequence == previous["sequence"] + 1 and record["prev_hash"] != previous["hash"]:
        raise ExportBroken(
            position,
            f"row {position} (event {sequence}) does not link to row {position - 1} "
            f"(event {previous['sequence']}): its prev_hash differs",
        )


AUDIT = FileFormat(
    name=FORMAT,
    columns=COLUMNS,
    noun="event",
    ends=("sequence", "hash"),
    through="through_sequence",
    record=_event_record,
    csv_cells=_event_cells,
    from_csv=_event_from_csv,
    check=_check_event,
)


# The enforcement ledger: each record carries the SHA-256 of its own cells.


def _ledger_cells(record: Mapping[str, Any]) -> list[str]:
    """A ledger record's cells before ``row_sha256``, as text: the same from CSV and JSONL."""
    return ["" if record[name] is None else str(record[name]) for name in LEDGER_COLUMNS[:-1]]


def _ledger_digest(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(_ledger_cells(record))).hexdigest()


def _ledger_record(position: int, target: Mapping[str, Any]) -> dict[str, Any]:
    """A target's record: ids as numbers, times as UTC ISO 8601, absent values null."""
    record: dict[str, Any] = {"row": position}
    for name in LEDGER_COLUMNS[1:-1]:
        value = target[name]
        record[name] = format_timestamp(value) if isinstance(value, datetime) else value
    record["row_sha256"] = _ledger_digest(record)
    return record


def _ledger_cells_of(position: int, target: Mapping[str, Any]) -> list[Any]:
    record = _ledger_record(position, target)
    return [record[name] for name in LEDGER_COLUMNS]


def _ledger_from_csv(record: dict[str, Any]) -> dict[str, Any]:
    for name in _LEDGER_INTEGERS:
        record[name] = int(record[name])
    return record


def _check_target(position: int, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    target = record["target_id"]
    if _ledger_digest(record) != record["row_sha256"]:
        raise ExportBroken(
            position,
            f"row {position} (target {target}) was edited: its fields do not match its row_sha256",
        )
    if not isinstance(target, int):
        raise ExportBroken(position, f"row {position} is damaged: its target_id is not a number")
    if previous is not None and target <= previous["target_id"]:
        raise ExportBroken(
            position,
            f"row {position} (target {target}) is out of order: it follows target "
            f"{previous['target_id']}",
        )


LEDGER = FileFormat(
    name=LEDGER_FORMAT,
    columns=LEDGER_COLUMNS,
    noun="target",
    ends=("target_id", "row_sha256"),
    through="through_target_id",
    record=_ledger_record,
    csv_cells=_ledger_cells_of,
    from_csv=_ledger_from_csv,
    check=_check_target,
)

FORMATS = (AUDIT, LEDGER)
