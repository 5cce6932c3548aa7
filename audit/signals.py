"""Sign-ins, sign-outs and sign-in lockouts are audit events.

A failed sign-in is not: anyone can send one, and an event per failure would
let anonymous traffic grow the trail and hold its lock against every audited
write. django-axes counts failures in its own table (``people.lockout``);
the trail records the lockout they end in, once.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import receiver

from audit.events import record

LOGIN = "auth.login"
LOGOUT = "auth.logout"
LOCKED_OUT = "auth.locked_out"


@receiver(user_logged_in, dispatch_uid="audit.login")
def on_login(sender, request, user, **kwargs) -> None:
    with transaction.atomic():
        record(LOGIN, actor=user, target=user)


@receiver(user_logged_out, dispatch_uid="audit.logout")
def on_logout(sender, request, user, **kwargs) -> None:
    if user is None or not user.is_authenticated:
        return  # signing out without a session changes nothing
    with transaction.atomic():
        record(LOGOUT, actor=user, target=user)


@receiver(user_locked_out, dispatch_uid="audit.locked_out")
def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    # Axes sends this for the failure that reaches the limit and again for every
    # attempt refused during the lockout; only the first has counted failures.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    # Only the username tried is kept; the password never reaches the trail.
    with transaction.atomic():
        record(
            LOCKED_OUT,
            system="auth",
            after={
                "username": str(username or "")[:150],
                "address": ip_address,
                "failures": failures,
            },
        )
