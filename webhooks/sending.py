"""One attempt of one delivery: claim it, POST it, record the answer
(docs/webhooks.md, "Retries"). Called by ``webhooks.tasks.deliver``, never in
a request, so a slow or failing endpoint never holds up the workflow."""

from __future__ import annotations

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from audit.models import AuditEvent
from core.webhook_signature import sign
from webhooks.models import DeliveryState, WebhookDelivery
from webhooks.payload import build_body

logger = logging.getLogger(__name__)


def claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery's due attempt, or ``None`` when it is not due or taken.

    The conditional UPDATE lets one worker through: it moves ``next_attempt_at``
    past the attempt's timeout, so a second message for the same delivery (a
    redelivery, the sweep) finds nothing due while this attempt runs, and the
    sweep picks it up again if this worker dies mid-attempt.
    """
    now = timezone.now()
    held_until = now + timedelta(seconds=2 * float(settings.WEBHOOK_TIMEOUT) + 30)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=held_until, last_attempt_at=now)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def backoff_seconds(attempts: int) -> float:
    """The wait after the ``attempts``-th failure: WEBHOOK_RETRY_BASE doubled per failure."""
    return float(settings.WEBHOOK_RETRY_BASE) * 2 ** (attempts - 1)


def attempt(delivery_id: int) -> float | None:
    """Send the delivery once if it is due; the seconds until its retry, else ``None``."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    if not delivery.endpoint.active:
        # Switched off after the event: its receiver no longer wants it.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILING, last_error="the endpoint was switched off"
        )
        return None
    # The trail is append-only: a delivery's event is always there.
    event = AuditEvent.objects.get(pk=delivery.event_id)
    body = build_body(event)
    headers = {
        "Content-Type": "application/json",
        "Dossier-Signature": sign(body, [delivery.endpoint.secret]),
        "Dossier-Event": event.verb,
        "Dossier-Delivery": str(delivery.pk),
    }
    status, error = None, ""
    try:
        response = requests.post(
            delivery.endpoint.url,
            data=body,
            headers=headers,
            timeout=float(settings.WEBHOOK_TIMEOUT),
            allow_redirects=False,
        )
        status = response.status_code
    except requests.RequestException as exc:
        error = _short(f"{type(exc).__name__}: {exc}")
    if status is not None and 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.DELIVERED,
            attempts=F("attempts") + 1,
            last_status_code=status,
            last_error="",
            delivered_at=timezone.now(),
        )
        return None
    final = delivery.attempts + 1 >= int(settings.WEBHOOK_MAX_ATTEMPTS)
    return _record_failure(delivery, status, error or f"HTTP {status}", final=final)


def _record_failure(
    delivery: WebhookDelivery, status: int | None, error: str, *, final: bool
) -> float | None:
    attempts = delivery.attempts + 1
    wait = None if final else backoff_seconds(attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.FAILING if final else DeliveryState.PENDING,
        attempts=attempts,
        last_status_code=status,
        last_error=error,
        next_attempt_at=timezone.now() + timedelta(seconds=wait or 0),
    )
    if final:
        logger.warning(
            "webhook delivery %s gave up after %s attempts: %s", delivery.pk, attempts, error
        )
    return wait


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "..."
