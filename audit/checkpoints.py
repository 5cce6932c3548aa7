"""Signed checkpoints of the chain's head (see :class:`audit.models.AuditCheckpoint`)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import format_timestamp
from audit.events import CHAIN_LOCK_KEY
from audit.models import AuditCheckpoint


class CheckpointKeyMissing(RuntimeError):
    """``AUDIT_CHECKPOINT_KEYS`` is empty: checkpoints can be neither made nor checked."""


def checkpoint_keys() -> list[str]:
    return list(getattr(settings, "AUDIT_CHECKPOINT_KEYS", []) or [])


def sign(sequence: int, event_hash: str, created_at: datetime, key: str) -> str:
    message = f"dossier-audit-checkpoint/v1\n{sequence}\n{event_hash}\n"
    message += format_timestamp(created_at)
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_is_valid(
    sequence: int, event_hash: str, created_at: datetime, signature: str
) -> bool:
    """True when any configured key (the first signs; older ones still verify) made it."""
    return any(
        hmac.compare_digest(sign(sequence, event_hash, created_at, key), signature)
        for key in checkpoint_keys()
    )


def make_checkpoint() -> AuditCheckpoint | None:
    """Sign the current head of the chain; None when there is nothing new to sign."""
    keys = checkpoint_keys()
    if not keys:
        raise CheckpointKeyMissing("AUDIT_CHECKPOINT_KEYS is not set")
    with transaction.atomic(), connection.cursor() as cursor:
        # The chain lock keeps the head still while it is read and signed.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        cursor.execute("SELECT sequence, hash FROM audit_auditevent ORDER BY sequence DESC LIMIT 1")
        head = cursor.fetchone()
        if head is None or AuditCheckpoint.objects.filter(sequence=head[0]).exists():
            return None
        sequence, event_hash = head
        created_at = timezone.now()
        return AuditCheckpoint.objects.create(
            sequence=sequence,
            hash=event_hash,
            created_at=created_at,
            signature=sign(sequence, event_hash, created_at, keys[0]),
        )
