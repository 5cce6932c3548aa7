"""Walk the hash chain and find the first event that was changed, removed or reordered.

The walk pages through the table by sequence (keyset pagination on the unique
index), so memory stays constant however long the trail grows, and it works
behind PgBouncer in transaction mode where server-side cursors do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

from audit.chain import GENESIS_HASH, HASHED_FIELDS, compute_hash
from audit.checkpoints import CheckpointKeyMissing, checkpoint_keys, signature_is_valid

_COLUMNS = ", ".join(
    f"{name}::text" if name in ("before", "after") else name for name in HASHED_FIELDS
)
_PAGE_SQL = (
    f"SELECT {_COLUMNS}, hash FROM audit_auditevent "  # noqa: S608 (fixed column list)
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


def verify_chain(*, chunk_size: int = 2000) -> ChainHead:
    """Recompute every hash in sequence order; raise :class:`ChainBroken` at the first fault."""
    count = 0
    last_sequence = 0
    last_hash = GENESIS_HASH
    for row in _by_sequence(_PAGE_SQL, chunk_size):
        fields = dict(zip(HASHED_FIELDS, row, strict=False))
        stored_hash = row[-1]
        _check(fields, stored_hash, last_sequence, last_hash)
        last_sequence, last_hash = fields["sequence"], stored_hash
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
    "SELECT c.sequence, c.hash, c.created_at, c.signature, e.hash "
    "FROM audit_auditcheckpoint c LEFT JOIN audit_auditevent e ON e.sequence = c.sequence "
    "WHERE c.sequence > %s ORDER BY c.sequence LIMIT %s"
)


def verify_checkpoints(*, chunk_size: int = 2000) -> int:
    """Check every signed checkpoint against the chain; return how many matched.

    Run after :func:`verify_chain`: a matching checkpoint then proves every
    event up to it, so a tail rewritten with recomputed hashes, or cut off,
    is caught up to the latest checkpoint.
    """
    if not checkpoint_keys():
        raise CheckpointKeyMissing("AUDIT_CHECKPOINT_KEYS is not set")
    count = 0
    for sequence, signed_hash, created_at, signature, event_hash in _by_sequence(
        _CHECKPOINT_SQL, chunk_size
    ):
        if not signature_is_valid(sequence, signed_hash, created_at, signature):
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
