"""Sign-ins, sign-outs and failed sign-ins are audit events."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from audit.events import record

LOGIN = "auth.login"
LOGOUT = "auth.logout"
LOGIN_FAILED = "auth.login_failed"


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


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the attempted username is kept; the password never reaches the trail.
    field = get_user_model().USERNAME_FIELD
    attempted = str(credentials.get(field) or credentials.get("username") or "")[:150]
    with transaction.atomic():
        record(LOGIN_FAILED, system="auth", after={"username": attempted})
