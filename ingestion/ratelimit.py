"""Per-detector request rate: a fixed one-minute window counted in Redis.

If Redis cannot be reached the request is let through and the fault logged:
an accepted alert matters more than a limit.
"""

from __future__ import annotations

import logging
import math
import time

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from ingestion.auth import detector_of

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
RETRY_AFTER_FAULT_SECONDS = 5
# Per store URL: when each store last failed, plus the pause.
_down_until: dict[str, float] = {}
_clients: dict[str, redis.Redis] = {}


def _redis() -> redis.Redis:
    url = settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
    return client


def take(detector_id: int, rate: int, *, now: float | None = None) -> float | None:
    """Count one request; ``None`` if allowed, else seconds until the window ends."""
    if rate <= 0:
        return None
    if time.monotonic() < _down_until.get(settings.REDIS_URL, 0.0):
        return None  # the store failed moments ago: don't make every request wait for it
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"dossier:detector-rate:{detector_id}:{window}"
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS + 5, nx=True)
        count = pipe.execute()[0]
    except redis.RedisError as exc:
        _down_until[settings.REDIS_URL] = time.monotonic() + RETRY_AFTER_FAULT_SECONDS
        logger.warning(
            "rate limit store unreachable, letting detectors through for %ss: %s",
            RETRY_AFTER_FAULT_SECONDS,
            exc,
        )
        return None
    if count <= rate:
        return None
    return (window + 1) * WINDOW_SECONDS - now


class DetectorRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        detector = detector_of(request)
        if detector is None:
            return True
        self._wait = take(detector.pk, detector.rate_per_minute)
        return self._wait is None

    def wait(self) -> float | None:
        return math.ceil(self._wait) if self._wait is not None else None
