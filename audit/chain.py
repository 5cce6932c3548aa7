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
from collections.abc import Iterable
from datetime import UTC, datetime

GENESIS_HASH = "0" * 64

# Every column that the hash covers, in the order verify reads them.
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


def compute_hash(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_username: str,
    detector_id: str,
    detector_name: str,
    system: str,
    verb: str,
    target_type: str,
    target_id: str,
    target_repr: str,
    case_ids: Iterable[int],
    before: str | None,
    after: str | None,
    reason: str,
    remote_addr: str,
    request_id: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of an event. ``before``/``after`` are the ``jsonb::text`` forms."""
    document = {
        "sequence": int(sequence),
        "occurred_at": format_timestamp(occurred_at),
        "actor_id": actor_id,
        "actor_username": actor_username,
        "detector_id": detector_id,
        "detector_name": detector_name,
        "system": system,
        "verb": verb,
        "target_type": target_type,
        "target_id": target_id,
        "target_repr": target_repr,
        "case_ids": sorted(int(c) for c in case_ids),
        "before": before,
        "after": after,
        "reason": reason,
        "remote_addr": remote_addr,
        "request_id": request_id,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
