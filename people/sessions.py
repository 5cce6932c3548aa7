"""How long a signed-in session lasts: an idle limit and an absolute one.

A session ends after ``SESSION_IDLE_MINUTES`` without a request, and in any
case ``SESSION_COOKIE_AGE`` seconds after signing in, however busy. Django's
own expiry slides forward with every save of the session, so it cannot give
the absolute limit; the middleware keeps both times in the session itself.

The time of the last request is written at most once per
``ACTIVITY_RESOLUTION``: writing it on every request would make each page a
session write, and a minute is fine-grained enough for a 30-minute limit.

A session that has ended is signed out; a page request goes to the sign-in
page with the reason and, once signed in again, back to where it was (for a
form post, the page the form was on); an API request by session is answered
401 in the API's error shape.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

SIGNED_IN_AT = "dossier.signed_in_at"
LAST_ACTIVITY = "dossier.last_activity"
ACTIVITY_RESOLUTION = 60  # seconds


def idle_limit() -> int:
    return settings.SESSION_IDLE_MINUTES * 60


def mark_signed_in(sender, request, user, **kwargs) -> None:
    """Start both clocks when a person signs in (connected to ``user_logged_in``)."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_ACTIVITY] = now


def ended_because(session, now: int) -> str | None:
    """Why the session has ended, or ``None`` while it is still alive."""
    signed_in_at = session.get(SIGNED_IN_AT)
    last_activity = session.get(LAST_ACTIVITY)
    if signed_in_at is not None and now - signed_in_at >= settings.SESSION_COOKIE_AGE:
        hours = settings.SESSION_COOKIE_AGE / 3600
        return f"Your session ended: sessions last at most {hours:g} hours. Sign in again."
    if last_activity is not None and now - last_activity >= idle_limit():
        minutes = settings.SESSION_IDLE_MINUTES
        return (
            f"Your session ended after {minutes} minutes without activity. "
            "Sign in again to continue where you were."
        )
    return None


class SessionLifetimeMiddleware:
    """Ends sessions idle or old past their limits; records activity. After
    ``AuthenticationMiddleware`` and ``MessageMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session = request.session
            now = int(time.time())
            reason = ended_because(session, now)
            if reason is not None:
                return self.ended(request, reason)
            # Sessions made before these limits (or by tests' force_login)
            # start their clocks at their first request.
            session.setdefault(SIGNED_IN_AT, now)
            if now - session.get(LAST_ACTIVITY, 0) >= ACTIVITY_RESOLUTION:
                session[LAST_ACTIVITY] = now
        return self.get_response(request)

    def ended(self, request, reason: str):
        back = self.return_to(request)
        logout(request)
        if request.path.startswith("/api/"):
            body = {"errors": [{"index": None, "field": None, "message": reason}]}
            response = JsonResponse(body, status=401)
            response["WWW-Authenticate"] = "Bearer"
            return response
        messages.info(request, reason)
        return redirect_to_login(back, reverse(settings.LOGIN_URL))

    @staticmethod
    def return_to(request) -> str:
        """Where to go once signed in again: this page, or the page a form was posted from."""
        if request.method in ("GET", "HEAD"):
            return request.get_full_path()
        referer = request.headers.get("Referer", "")
        if referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(referer)
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return reverse(settings.LOGIN_REDIRECT_URL)
