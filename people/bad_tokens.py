"""Bad API tokens, counted per source address.

A ``Bearer`` credential that does not authenticate — a malformed header, or a
detector or personal token that is unknown, revoked or expired — is counted
against the address it came from (``core.middleware.client_address``), in a
fixed window in Redis through Django's cache. Past ``BAD_TOKEN_LIMIT`` in
``BAD_TOKEN_WINDOW_SECONDS``, that address's bad tokens are answered 429 with
``Retry-After`` (the seconds left in the window) instead of 401, in the API's
one error shape (docs/alerts-api.md).

Only requests that fail to authenticate are counted or refused: a valid token
is looked up before anything is counted and always passes, so a detector or a
person behind the same address (a NAT, a proxy) is never throttled for
another's failures, and requests without a token (sessions, the sign-in page)
are not touched. Tokens carry 256 random bits, so this does not stop guessing,
which is hopeless anyway; it tells a client looping on a stale token, or one
sweeping the API, to back off.

If the store cannot be reached, bad tokens are answered 401 as without a
limit and the fault is logged: the limit is a courtesy, not a lock.
"""

from __future__ import annotations

import logging
import math
import time

import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions

from core.middleware import client_address

logger = logging.getLogger(__name__)

THROTTLED = "Too many bad tokens from this address."


def count_bad_token(address: str | None, *, now: float | None = None) -> float | None:
    """Count one bad token from ``address``; seconds until its window ends once
    past the limit, else ``None``."""
    limit = settings.BAD_TOKEN_LIMIT
    if limit <= 0:
        return None
    window = settings.BAD_TOKEN_WINDOW_SECONDS
    now = time.time() if now is None else now
    start = int(now // window) * window
    key = f"dossier:bad-tokens:{address or 'unknown'}:{start}"
    try:
        cache.add(key, 0, timeout=window + 5)
        count = cache.incr(key)
    except ValueError:
        return None  # the window's key expired between the two calls: a new window
    except redis.RedisError as exc:
        logger.warning("bad-token store unreachable, answering 401 without a limit: %s", exc)
        return None
    if count <= limit:
        return None
    return start + window - now


def bad_token(request, message: str) -> exceptions.APIException:
    """The answer to a credential that did not authenticate, counted: 401 with
    ``message``, or 429 once its address is past the limit. Raise it."""
    wait = count_bad_token(client_address(request))
    if wait is None:
        return exceptions.AuthenticationFailed(message)
    return exceptions.Throttled(wait=max(1, math.ceil(wait)), detail=THROTTLED)
