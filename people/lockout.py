"""Sign-in lockout: what a locked-out person sees, and unlocking by an administrator.

django-axes counts failed sign-ins per username and source address (its
``AccessAttempt`` rows; settings ``LOGIN_FAILURE_LIMIT`` and
``LOGIN_LOCKOUT_MINUTES``). The failures themselves never reach the audit
trail, so anonymous traffic cannot grow it or hold its lock; the trail
records each lockout once (``audit.signals``) and each unlock here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from audit.events import record
from core.middleware import client_address

UNLOCKED = "auth.unlocked"


def lockout_ends(username: str | None, address: str | None) -> datetime:
    """When sign-ins for ``username`` from ``address`` are accepted again.

    The latest counted failure plus the lockout period: attempts made during a
    lockout are not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``),
    so this time does not move while the person waits.
    """
    latest = AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
        latest=Max("attempt_time")
    )["latest"]
    return (latest or timezone.now()) + get_cool_off()


def lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """The lockout page, in the app's chrome: 429 with ``Retry-After``
    (``AXES_LOCKOUT_CALLABLE``; axes calls it for every locked-out attempt)."""
    username = get_client_username(request, credentials)
    ends = lockout_ends(username, client_address(request))
    seconds = max(1, math.ceil((ends - timezone.now()).total_seconds()))
    response = render(
        request,
        "people/locked_out.html",
        {"username": username or "", "ends": ends, "minutes": math.ceil(seconds / 60)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


@dataclass(frozen=True)
class Unlocked:
    username: str
    address: str | None
    attempts: int


def unlock(username: str, *, address: str | None = None, system: str, actor=None) -> Unlocked:
    """Forget the failed sign-ins counted for ``username`` (from ``address`` only,
    if given), ending its lockouts; audited, with what was removed."""
    with transaction.atomic():
        attempts = AccessAttempt.objects.select_for_update().filter(username=username)
        if address:
            attempts = attempts.filter(ip_address=address)
        rows = list(attempts.values("ip_address", "failures_since_start"))
        attempts.delete()
        record(
            UNLOCKED,
            actor=actor,
            system=system,
            after={
                "username": username,
                "address": address,
                "addresses": sorted({row["ip_address"] or "" for row in rows}),
                "failures": sum(row["failures_since_start"] for row in rows),
            },
        )
    return Unlocked(username, address, len(rows))
