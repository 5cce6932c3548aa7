"""Enforcement backends: how one target of an action is applied or reverted.

The wire format of the ``webhook`` backend is described in
``docs/enforcement-webhook.md``. A backend only sends one call
and classifies the answer; deciding what to do next (retry, pause, give up)
and recording it belongs to ``enforcement.execution``.

Settings are read from ``django.conf.settings`` at call time, not import
time, so a deployment (or a test) can change them without re-importing.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from django.conf import settings
from django.utils.module_loading import import_string

from core.webhook_signature import sign

logger = logging.getLogger("dossier.enforcement")

APPLY = "apply"
REVERT = "revert"
OPERATIONS = (APPLY, REVERT)


# --- outcomes --------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """Carried out (or already in that state); ``reference`` is the platform's id."""

    reference: str = ""


@dataclass(frozen=True)
class Refused:
    """Refused for good (unknown account, bad parameters): never retried."""

    error: str


@dataclass(frozen=True)
class Retry:
    """Not known to be carried out: try again later.

    ``retry_after`` is the least wait the receiver asked for (429), ``None``
    to use the backoff; ``counts`` is False for 429, which is not an attempt.
    """

    reason: str
    retry_after: float | None = None
    counts: bool = True


@dataclass(frozen=True)
class Paused:
    """The receiver does not trust the call: a configuration fault, not the target's."""

    reason: str


Outcome = Done | Refused | Retry | Paused


@dataclass(frozen=True)
class Call:
    """One call for one target and operation. ``body`` is sent byte for byte."""

    action_id: int
    operation: str
    target_type: str
    target_value: str
    body: bytes

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.action_id, self.operation, self.target_type, self.target_value)


# --- the wire format -------------------------------------------------------


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def idempotency_key(action_id: int, operation: str, target_type: str, target_value: str) -> str:
    digest = hashlib.sha256(f"{target_type}\n{target_value}".encode()).hexdigest()
    return f"{action_id}.{operation}.{digest[:32]}"


def build_body(
    *,
    action_id: int,
    kind: str,
    operation: str,
    target_type: str,
    target_value: str,
    params: dict,
    case_id: int,
    case_url: str,
    notice: str | None,
    expires_at: datetime | None,
    requested_at: datetime,
) -> bytes:
    """The request body, built once per target and operation and then stored.

    Every retry (and a restarted worker) sends these exact bytes, so the
    receiver sees one request however many times it arrives.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}")
    document = {
        "action": str(action_id),
        "kind": kind,
        "operation": operation,
        "target": {"type": target_type, "value": target_value},
        "params": params or {},
        "case": {"id": str(case_id), "url": case_url},
        "notice": notice or None,
        "expires_at": rfc3339(expires_at),
        "requested_at": rfc3339(requested_at),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def classify(status: int, body: bytes, headers) -> Outcome:
    """The table of answers of docs/enforcement-webhook.md, in one place."""
    if status in (200, 201, 202):
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return Retry(f"HTTP {status} with a body that is not JSON")
        if not isinstance(document, dict) or document.get("status") not in ("done", "already_done"):
            return Retry(f"HTTP {status} without a success body")
        reference = document.get("reference")
        return Done(reference=str(reference) if reference is not None else "")
    reason = _error_reason(status, body)
    if status in (401, 403):
        return Paused(reason)
    if status == 429:
        return Retry(
            reason, retry_after=parse_retry_after(headers.get("Retry-After")), counts=False
        )
    if status == 409 or status >= 500:
        return Retry(reason)
    if 400 <= status < 500:
        return Refused(reason)
    # 1xx/3xx are not answers docs/enforcement-webhook.md knows: not known to be carried out.
    return Retry(reason)


def _error_reason(status: int, body: bytes) -> str:
    detail = ""
    try:
        document = json.loads(body)
        if isinstance(document, dict) and isinstance(document.get("error"), str):
            detail = document["error"]
    except (ValueError, UnicodeDecodeError):
        pass
    if not detail:
        detail = body[:200].decode("utf-8", "replace").strip()
    return f"HTTP {status}: {detail}" if detail else f"HTTP {status}"


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter for the ``attempt``-th failure (1-based)."""
    base = float(getattr(settings, "ENFORCEMENT_BACKOFF_BASE", 5.0))
    cap = float(getattr(settings, "ENFORCEMENT_BACKOFF_MAX", 900.0))
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    # Half fixed, half random: never hammer at once, never wait less than half.
    return ceiling / 2 + random.uniform(0, ceiling / 2)


# --- backends --------------------------------------------------------------


class Backend:
    """Sends one call and classifies the answer. Must be safe to use from threads."""

    name = "base"

    def send(self, call: Call) -> Outcome:
        raise NotImplementedError


class LogBackend(Backend):
    """Development and demo backend: records what would be done, and says it is done."""

    name = "log"

    def send(self, call: Call) -> Outcome:
        logger.info(
            "enforcement %s %s %s=%s key=%s",
            call.operation,
            call.action_id,
            call.target_type,
            call.target_value,
            call.idempotency_key,
        )
        return Done(reference=f"log:{call.idempotency_key}")


class WebhookBackend(Backend):
    """POSTs the stored body to ``ENFORCEMENT_URL``, signed with every configured secret."""

    name = "webhook"

    def __init__(self) -> None:
        self._local = threading.local()

    def _session(self) -> requests.Session:
        # requests.Session is not guaranteed thread-safe: one per thread.
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def send(self, call: Call) -> Outcome:
        url = settings.ENFORCEMENT_URL
        secrets = list(settings.ENFORCEMENT_SECRETS)
        if not url or not secrets:
            return Paused("ENFORCEMENT_URL and ENFORCEMENT_SECRET must be set for the webhook")
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": call.idempotency_key,
            # Signed afresh on every attempt: only t and the signature change.
            "Dossier-Signature": sign(call.body, secrets),
        }
        try:
            response = self._session().post(
                url,
                data=call.body,
                headers=headers,
                timeout=float(settings.ENFORCEMENT_TIMEOUT),
                allow_redirects=False,
            )
        except requests.Timeout:
            return Retry(f"no answer within {settings.ENFORCEMENT_TIMEOUT:g} s")
        except requests.ConnectionError as exc:
            return Retry(f"connection failed: {_short(exc)}")
        except requests.RequestException as exc:
            return Retry(f"request failed: {_short(exc)}")
        return classify(response.status_code, response.content, response.headers)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."


BACKENDS = {"log": LogBackend, "webhook": WebhookBackend}


def get_backend(name: str | None = None) -> Backend:
    """The backend named by ``ENFORCEMENT_BACKEND`` (or a dotted path to a Backend class)."""
    name = name or settings.ENFORCEMENT_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    return cls()
