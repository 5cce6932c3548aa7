"""The ``Dossier-Signature`` header of every call Dossier sends out.

One signer for the enforcement webhook (docs/enforcement-webhook.md) and the
outgoing event webhooks (docs/webhooks.md), so a receiver verifies both the
same way.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(body: bytes, secrets: list[str], *, timestamp: int | None = None) -> str:
    """``Dossier-Signature``: ``t=<unix>,v1=<hmac>`` with one ``v1`` per secret."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + body
    parts = [f"t={t}"]
    for secret in secrets:
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        parts.append(f"v1={digest}")
    return ",".join(parts)
