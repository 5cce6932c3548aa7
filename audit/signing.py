"""Ed25519 signatures of the audit trail: each event's seal, and the checkpoints
of the chain's head (docs/audit-trail.md).

The key is ``AUDIT_SIGNING_KEY``, the one that signs exports; anyone holding
its public half (``/api/v1/audit/public-key``) can check a seal or a
checkpoint. A seal signs an event's hash, which covers every field and the
previous hash: whoever can write the table but not read the key cannot add,
change or rehash an event without its seal failing. Pure Python (no Django),
like ``audit.exportfile``, which signs with it.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SEAL_FORMAT = b"dossier-audit-seal/v1\n"
CHECKPOINT_FORMAT = "dossier-audit-checkpoint/v2"


def canonical(document: Any) -> bytes:
    """The bytes a document is signed as: sorted keys, no spacing, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@functools.lru_cache(maxsize=4)
def _private_key(private_key: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(private_key)


@functools.lru_cache(maxsize=4)
def _public_key(public_key: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public_key)


def sign(private_key: bytes, message: bytes) -> str:
    """Base64 of the Ed25519 signature of ``message``."""
    return base64.b64encode(_private_key(private_key).sign(message)).decode()


def is_signed(public_key: bytes, message: bytes, signature: str) -> bool:
    try:
        _public_key(public_key).verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def seal_message(event_hash: str) -> bytes:
    return SEAL_FORMAT + event_hash.encode()


def checkpoint_message(checkpoint: dict[str, Any]) -> bytes:
    """What a checkpoint's signature covers: every field but the signature."""
    return canonical({k: v for k, v in checkpoint.items() if k != "signature"})
