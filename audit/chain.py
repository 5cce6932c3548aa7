"""The hash chain: how one event's hash is computed from its content.

Each event's hash is SHA-256 over a canonical JSON document holding every
content field and the previous event's hash. The document is deterministic:
keys sorted, no insignificant whitespace, UTC timestamps with microseconds,
case ids sorted. ``before`` and ``after`` enter as PostgreSQL's own text form
of the stored ``jsonb`` value, so a value hashes the same at insert and when
read back (jsonb reorders keys and normalises numbers and spacing).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64

# Every column that the hash covers, in the order verify reads them: the one
# list of an event's columns (the writer stores these and ``hash``).
HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_username",
    "detector_id",
    "detector_name",
    "system",
    "verb",
    "target_type",
    "target_id",
    "target_repr",
    "case_ids",
    "before",
    "after",
    "reason",
    "remote_addr",
    "request_id",
    "prev_hash",
)


def format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# How a column enters the document, where it is not as stored.
_CANONICAL = {
    "sequence": int,
    "occurred_at": format_timestamp,
    "case_ids": lambda ids: sorted(int(c) for c in ids),
}


def compute_hash(**fields: Any) -> str:
    """SHA-256 (hex) of an event given every one of ``HASHED_FIELDS`` by name.

    ``before``/``after`` are the ``jsonb::text`` forms.
    """
    if set(fields) != set(HASHED_FIELDS):
        missing = sorted(set(HASHED_FIELDS) - set(fields))
        extra = sorted(set(fields) - set(HASHED_FIELDS))
        raise TypeError(
            f"compute_hash needs exactly HASHED_FIELDS (missing {missing}, extra {extra})"
        )
    document = {
        name: _CANONICAL[name](fields[name]) if name in _CANONICAL else fields[name]
        for name in HASHED_FIELDS
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
