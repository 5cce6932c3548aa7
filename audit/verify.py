"""Walk the hash chain and find the first event that was changed, removed,
reordered or forged; check the checkpoints in the database and outside it.

The walk pages through the table by sequence (keyset pagination on the unique
index), so memory stays constant however long the trail grows, and it works
behind PgBouncer in transaction mode where server-side cursors do not. The
anchor file is read a line at a time, its sequences looked up a batch at a
time (docs/audit-trail.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import connection

from audit.chain import GENESIS_HASH, HASHED_FIELDS, compute_hash
from audit.checkpoints import public_key, signature_is_valid
from audit.exportfile import key_id
from audit.models import AuditCheckpoint
from audit.signing import checkpoint_message, is_signed, seal_message

_COLUMNS = ", ".join(
    f"{name}::text" if name in ("before", "after") else name for name in HASHED_FIELDS
)
_PAGE_SQL = (
    f"SELECT {_COLUMNS}, hash, seal FROM audit_auditevent "  # noqa: S608 (fixed column list)
    "WHERE sequence > %s ORDER BY sequence LIMIT %s"
)
_BEFORE_EVERYTHING = -(2**63)


class ChainBroken(Exception):
    """The chain does not verify; ``sequence`` names the first bad event."""

    def __init__(self, sequence: int, message: str):
        super().__init__(message)
        self.sequence = sequence


@dataclass(frozen=True)
class ChainHead:
    count: int
    sequence: int
    hash: str


def verify_chain(*, chunk_size: int = 2000, sealed_from: int | None = None) -> ChainHead:
    """Recompute every hash and check every seal in sequence order; raise
    :class:`ChainBroken` at the first fault.

    Every event from the first sealed one on must carry a valid seal, and from
    ``sealed_from`` on (what the outside anchors say) whatever the table says.
    """
    count = 0
    last_sequence = 0
    last_hash = GENESIS_HASH
    key = public_key()
    sealing_from = sealed_from
    for row in _by_sequence(_PAGE_SQL, chunk_size):
        fields = dict(zip(HASHED_FIELDS, row, strict=False))
        stored_hash, seal = row[-2], row[-1]
        _check(fields, stored_hash, last_sequence, last_hash)
        sequence = fields["sequence"]
        if seal:
            if not is_signed(key, seal_message(stored_hash), seal):
                raise ChainBroken(
                    sequence,
                    f"event {sequence} has a seal that does not verify with the signing key "
                    "(written or rehashed by someone without the key)",
                )
            sealing_from = sealing_from or sequence
        elif sealing_from is not None and sequence >= sealing_from:
            raise ChainBroken(
                sequence,
                f"event {sequence} has no seal, though every event from {sealing_from} on is "
                "sealed (written by someone without the key, or its seal removed)",
            )
        last_sequence, last_hash = sequence, stored_hash
        count += 1
    return ChainHead(count=count, sequence=last_sequence, hash=last_hash)


def _by_sequence(sql: str, chunk_size: int) -> Iterator[tuple]:
    """Every row of ``sql`` (its first column the sequence), fetched a page at a time
    after the last sequence seen."""
    position = _BEFORE_EVERYTHING
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [position, chunk_size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        position = rows[-1][0]


def _check(fields: dict, stored_hash: str, last_sequence: int, last_hash: str) -> None:
    sequence = fields["sequence"]
    expected = last_sequence + 1
    if sequence > expected:
        missing = str(expected) if sequence == expected + 1 else f"{expected} to {sequence - 1}"
        raise ChainBroken(
            expected,
            f"event {missing} missing (removed): event {sequence} follows event {last_sequence}",
        )
    if sequence < expected:
        raise ChainBroken(sequence, f"event {sequence} has a sequence number out of range")
    if fields["prev_hash"] != last_hash:
        raise ChainBroken(
            sequence,
            f"event {sequence} does not link to event {last_sequence} "
            "(its prev_hash differs: events removed or reordered)",
        )
    if compute_hash(**fields) != stored_hash:
        raise ChainBroken(sequence, f"event {sequence} was changed (its hash does not match)")


_CHECKPOINT_SQL = (
    "SELECT c.sequence, c.hash, c.created_at, c.signature, c.key_id, e.hash "
    "FROM audit_auditcheckpoint c LEFT JOIN audit_auditevent e ON e.sequence = c.sequence "
    "WHERE c.sequence > %s ORDER BY c.sequence LIMIT %s"
)


def verify_checkpoints(*, chunk_size: int = 2000) -> int:
    """Check every checkpoint row against the chain; return how many matched.

    Run after :func:`verify_chain`: a matching checkpoint then proves every
    event up to it, so a tail rewritten with recomputed hashes, or cut off,
    is caught up to the latest checkpoint.
    """
    count = 0
    for sequence, signed_hash, created_at, signature, signer, event_hash in _by_sequence(
        _CHECKPOINT_SQL, chunk_size
    ):
        checkpoint = AuditCheckpoint(
            sequence=sequence,
            hash=signed_hash,
            created_at=created_at,
            signature=signature,
            key_id=signer,
        )
        if not signature_is_valid(checkpoint):
            raise ChainBroken(
                sequence,
                f"the checkpoint at event {sequence} has an invalid signature "
                "(forged, or signed with a key no longer configured)",
            )
        if event_hash is None:
            raise ChainBroken(
                sequence,
                f"event {sequence} missing: a signed checkpoint vouches for it "
                "(events removed from the end)",
            )
        if event_hash != signed_hash:
            raise ChainBroken(
                sequence,
                f"event {sequence} differs from its signed checkpoint "
                "(events up to it were rewritten and rehashed)",
            )
        count += 1
    return count


# Outside anchors ---------------------------------------------------------------


class AnchorsMissing(Exception):
    """There is no anchor file where AUDIT_ANCHOR_PATH says."""


@dataclass(frozen=True)
class Anchors:
    lines: int
    sequence: int  # the highest sequence any line vouches for
    newest: datetime | None  # when the newest line was signed
    sealed_from: int | None


def _anchor_lines(path: Path) -> Iterator[tuple[int, dict]]:
    """Each signed line with its number; a damaged line is a fault, except a last
    line cut off by a crash while it was written."""
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:
        raise AnchorsMissing(f"no anchor file at {path}") from exc
    key = public_key()
    signer = key_id(key)
    pending = None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if pending is not None:
                raise ChainBroken(
                    pending.get("sequence", 0), f"line {number - 1} of the anchor file is damaged"
                )
            try:
                line = json.loads(raw)
            except ValueError:
                pending = {}
                continue
            if line.get("key_id") != signer or not is_signed(
                key, checkpoint_message(line), str(line.get("signature", ""))
            ):
                raise ChainBroken(
                    int(line.get("sequence") or 0),
                    f"line {number} of the anchor file (event {line.get('sequence')}, "
                    f"{line.get('created_at')}) has an invalid signature (forged or altered)",
                )
            yield number, line


def read_anchors(path: Path) -> Anchors:
    """Check every line's signature; what the lines vouch for."""
    lines, sequence, newest, sealed_from = 0, 0, None, None
    for _, line in _anchor_lines(path):
        lines += 1
        sequence = max(sequence, int(line["sequence"]))
        signed_at = datetime.fromisoformat(line["created_at"].replace("Z", "+00:00"))
        newest = signed_at if newest is None else max(newest, signed_at)
        if line.get("sealed_from"):
            sealed_from = min(sealed_from or line["sealed_from"], line["sealed_from"])
    return Anchors(lines=lines, sequence=sequence, newest=newest, sealed_from=sealed_from)


_ANCHORED_SQL = """
    SELECT a.sequence, e.hash, c.hash
      FROM unnest(%s::bigint[]) AS a(sequence)
      LEFT JOIN audit_auditevent e ON e.sequence = a.sequence
      LEFT JOIN audit_auditcheckpoint c ON c.sequence = a.sequence
"""


def verify_anchored(path: Path, head: ChainHead, *, batch: int = 5000) -> None:
    """Every anchored head is in the chain with its hash, and has its checkpoint row.

    Run after :func:`verify_chain` (``head`` is its answer).
    """
    pending: dict[int, tuple[str, str]] = {}

    def check() -> None:
        with connection.cursor() as cursor:
            cursor.execute(_ANCHORED_SQL, [list(pending)])
            found = cursor.fetchall()
        for sequence, event_hash, checkpoint_hash in sorted(found):
            anchored_hash, signed_at = pending[sequence]
            if event_hash is None:
                removed = (
                    f"{head.sequence + 1}"
                    if sequence == head.sequence + 1
                    else (f"{head.sequence + 1} to {sequence}")
                )
                raise ChainBroken(
                    head.sequence + 1,
                    f"the chain ends at event {head.sequence}, but the outside anchor of "
                    f"{signed_at} vouches for event {sequence}: event {removed} removed",
                )
            if event_hash != anchored_hash:
                raise ChainBroken(
                    sequence,
                    f"event {sequence} differs from its outside anchor of {signed_at} "
                    "(events up to it were rewritten and rehashed)",
                )
            if checkpoint_hash != anchored_hash:
                raise ChainBroken(
                    sequence,
                    f"the checkpoint at event {sequence} is missing from the database "
                    f"(the outside anchor of {signed_at} holds it)",
                )
        pending.clear()

    for _, line in _anchor_lines(path):
        pending.setdefault(int(line["sequence"]), (line["hash"], line["created_at"]))
        if len(pending) >= batch:
            check()
    if pending:
        check()
