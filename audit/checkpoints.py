"""Signed checkpoints of the chain's head, in the database and outside it
(see :class:`audit.models.AuditCheckpoint`, docs/audit-trail.md).

Every ``AUDIT_ANCHOR_INTERVAL`` seconds beat anchors the head: it signs the
head's sequence and hash with the Ed25519 key (``audit.signing``), stores a
checkpoint row when the head moved, and appends the signed line to
``AUDIT_ANCHOR_PATH``, a file outside the database. Whoever rewrites the
database cannot rewrite that file's past lines without the key, so
``audit verify`` catches a tail cut or rewritten before the latest line. A
line is appended on every tick, moved or not, so a stale file shows that
anchoring stopped. Checkpoints made before Ed25519 (HMAC under
``AUDIT_CHECKPOINT_KEYS``) still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import format_timestamp
from audit.events import CHAIN_LOCK_KEY
from audit.exportfile import key_id, public_key_of
from audit.models import AuditCheckpoint
from audit.signing import CHECKPOINT_FORMAT, canonical, checkpoint_message, is_signed, sign


class CheckpointKeyMissing(RuntimeError):
    """A checkpoint is HMAC-signed and ``AUDIT_CHECKPOINT_KEYS`` is empty."""


def checkpoint_keys() -> list[str]:
    return list(getattr(settings, "AUDIT_CHECKPOINT_KEYS", []) or [])


def public_key() -> bytes:
    return public_key_of(settings.AUDIT_SIGNING_KEY)


def hmac_signature(sequence: int, event_hash: str, created_at: datetime, key: str) -> str:
    """An older checkpoint's signature: HMAC-SHA256 under one of AUDIT_CHECKPOINT_KEYS."""
    message = f"dossier-audit-checkpoint/v1\n{sequence}\n{event_hash}\n"
    message += format_timestamp(created_at)
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def _signed_fields(sequence: int, event_hash: str, created_at: datetime, key: str) -> dict:
    return {
        "format": CHECKPOINT_FORMAT,
        "sequence": sequence,
        "hash": event_hash,
        "created_at": format_timestamp(created_at),
        "key_id": key,
    }


def signature_is_valid(checkpoint: AuditCheckpoint) -> bool:
    """Whether the checkpoint row's signature holds: Ed25519 under the signing key,
    or (no ``key_id``) HMAC under any of AUDIT_CHECKPOINT_KEYS."""
    sequence, event_hash, created_at = checkpoint.sequence, checkpoint.hash, checkpoint.created_at
    if checkpoint.key_id:
        fields = _signed_fields(sequence, event_hash, created_at, checkpoint.key_id)
        return checkpoint.key_id == key_id(public_key()) and is_signed(
            public_key(), checkpoint_message(fields), checkpoint.signature
        )
    keys = checkpoint_keys()
    if not keys:
        raise CheckpointKeyMissing(
            f"the checkpoint at event {sequence} is HMAC-signed and AUDIT_CHECKPOINT_KEYS is not set"
        )
    return any(
        hmac.compare_digest(
            hmac_signature(sequence, event_hash, created_at, key), checkpoint.signature
        )
        for key in keys
    )


def _head(cursor) -> tuple[int, str] | None:
    cursor.execute("SELECT sequence, hash FROM audit_auditevent ORDER BY sequence DESC LIMIT 1")
    return cursor.fetchone()


def _checkpoint_row(sequence: int, event_hash: str, created_at: datetime) -> AuditCheckpoint:
    signer = key_id(public_key())
    fields = _signed_fields(sequence, event_hash, created_at, signer)
    return AuditCheckpoint.objects.create(
        sequence=sequence,
        hash=event_hash,
        created_at=created_at,
        key_id=signer,
        signature=sign(settings.AUDIT_SIGNING_KEY, checkpoint_message(fields)),
    )


def make_checkpoint() -> AuditCheckpoint | None:
    """Sign the current head in the database; None when it is signed already."""
    with transaction.atomic(), connection.cursor() as cursor:
        # The chain lock keeps the head still while it is read and signed.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        head = _head(cursor)
        if head is None or AuditCheckpoint.objects.filter(sequence=head[0]).exists():
            return None
        return _checkpoint_row(*head, timezone.now())


def latest_anchor(path: Path) -> dict[str, Any] | None:
    """The last complete line of the anchor file (read from its end), or None."""
    try:
        with path.open("rb") as anchors:
            anchors.seek(0, os.SEEK_END)
            size = anchors.tell()
            anchors.seek(max(0, size - 8192))
            tail = anchors.read()
    except FileNotFoundError:
        return None
    for line in reversed(tail.splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue  # a line cut off by a crash while it was written
    return None


def _sealed_from(cursor, previous: dict[str, Any] | None) -> int | None:
    """The first sealed event: every event from it on must carry a valid seal."""
    if previous and previous.get("sealed_from"):
        return previous["sealed_from"]
    cursor.execute(
        "SELECT sequence FROM audit_auditevent WHERE seal <> '' ORDER BY sequence LIMIT 1"
    )
    row = cursor.fetchone()
    return row[0] if row else None


def anchor() -> dict[str, Any] | None:
    """Anchor the head: a checkpoint row if it moved, and a signed line appended to
    ``AUDIT_ANCHOR_PATH``. None while the trail is empty."""
    path = Path(settings.AUDIT_ANCHOR_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    with transaction.atomic(), connection.cursor() as cursor:
        # Under the chain lock, so the head stays still while it is signed.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        head = _head(cursor)
        if head is None:
            return None
        sequence, event_hash = head
        now = timezone.now()
        if not AuditCheckpoint.objects.filter(sequence=sequence).exists():
            _checkpoint_row(sequence, event_hash, now)
        line = {
            **_signed_fields(sequence, event_hash, now, key_id(public_key())),
            "sealed_from": _sealed_from(cursor, latest_anchor(path)),
        }
        line["signature"] = sign(settings.AUDIT_SIGNING_KEY, checkpoint_message(line))
    # After the commit: a line never vouches for a checkpoint row rolled back.
    with path.open("ab") as anchors:
        anchors.write(canonical(line) + b"\n")
        anchors.flush()
        os.fsync(anchors.fileno())
    return line
