"""A second factor for signing in: a TOTP authenticator app (django-otp).

A person sets up one authenticator app on their profile page: Dossier makes
an unconfirmed ``TOTPDevice``, shows its QR code and secret, and turns it on
only once the person types a code it produced. From then on, signing in takes
the password and then a code (``people.views``), and the session is
*verified* (django-otp's ``OTPMiddleware``: ``request.user.is_verified()``).

``REQUIRE_TOTP_FOR_ROLES`` names roles that must use it: a person holding one
of them and signed in without a verified session is held at the setup page
until they have set up an app (``SecondFactorMiddleware``); pages redirect
there, the API by session answers 403 saying so.

Personal API tokens are not asked for a code: a token is made on the profile
page, by a session that has passed the same rule, and it is a secret of 256
random bits with an expiry (``people.tokens``), not a password that could
have leaked on its own.

Setting up and removing an app are events on the audit chain. A wrong code is
not: django-otp counts the wrong codes on the device and refuses codes for an
exponentially growing delay after each (``OTP_TOTP_THROTTLE_FACTOR`` seconds,
doubled per failure), and a sign-in that gets ``CODE_ATTEMPTS_PER_SIGN_IN``
wrong codes is abandoned (the password must be given again) and recorded once.
"""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.events import record
from people.roles import has_role

# A sign-in is abandoned after this many wrong codes; the password is asked again.
CODE_ATTEMPTS_PER_SIGN_IN = 5
DEVICE_NAME = "Authenticator app"
WRONG_CODE = "That code is not right. Type the 6-digit code your authenticator app shows now."
THROTTLED = "Too many wrong codes in a row: wait a few seconds, then try the current code."


class SecondFactorRefused(Exception):
    """A step on a person's authenticator app cannot be taken; the message says why."""


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user) -> TOTPDevice | None:
    """The app being set up (made, not yet confirmed with a code), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def totp_required_for(user) -> bool:
    """Whether ``user``'s roles oblige them to sign in with a code."""
    roles = settings.REQUIRE_TOTP_FOR_ROLES
    return bool(roles) and has_role(user, *roles)


def admin_needs_verified_session(user) -> bool:
    """The admin site asks for a verified session of anyone with an app, and of
    everyone once any role must use one."""
    return bool(settings.REQUIRE_TOTP_FOR_ROLES) or confirmed_device(user) is not None


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def held_at_setup(user) -> bool:
    """Signed in, obliged to use an app, and not yet verified by one."""
    return (
        user is not None
        and user.is_authenticated
        and totp_required_for(user)
        and not is_verified(user)
    )


def check_code(device: TOTPDevice, code: str) -> str | None:
    """Verify ``code`` against ``device`` under its throttle: ``None`` when it
    is right, else the message to show. Each code is accepted once."""
    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return THROTTLED
        if not code.isdigit() or not device.verify_token(code):
            return WRONG_CODE
    return None


def _proven(device: TOTPDevice | None, code: str, *, missing: str) -> TOTPDevice:
    """``device`` once ``code`` is one it made; refused with ``missing`` when there is none."""
    if device is None:
        raise SecondFactorRefused(missing)
    problem = check_code(device, code)
    if problem is not None:
        raise SecondFactorRefused(problem)
    return device


def start_setup(actor) -> TOTPDevice:
    """A new, unconfirmed app for ``actor`` (replacing one left half set up)."""
    with transaction.atomic():
        if confirmed_device(actor) is not None:
            raise SecondFactorRefused("An authenticator app is already set up; remove it first.")
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        return TOTPDevice.objects.create(user=actor, name=DEVICE_NAME, confirmed=False)


def confirm_setup(actor, code: str) -> TOTPDevice:
    """Turn on ``actor``'s pending app once ``code`` is one it made (audited)."""
    device = _proven(
        pending_device(actor), code, missing="Start setting up an authenticator app first."
    )
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        record("totp.enabled", actor=actor, target=device, target_label=f"{actor}: {device.name}")
    return device


def remove(actor, code: str) -> None:
    """Remove ``actor``'s app, proven by a current code from it (audited)."""
    device = _proven(confirmed_device(actor), code, missing="No authenticator app is set up.")
    with transaction.atomic():
        record("totp.removed", actor=actor, target=device, target_label=f"{actor}: {device.name}")
        TOTPDevice.objects.filter(user=actor).delete()


def remove_for_person(device: TOTPDevice, *, actor) -> None:
    """Remove someone else's app, for a person who lost theirs (the admin site;
    audited, with who did it). They sign in with the password alone until they
    set up a new one, or are held at the setup page if their role requires it."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().select_related("user").get(pk=device.pk)
        record(
            "totp.removed",
            actor=actor,
            target=device.user,
            after={"confirmed": device.confirmed},
            reason="Removed in the Django admin (a lost or replaced authenticator app).",
        )
        device.delete()


def record_abandoned_sign_in(user, failures: int) -> None:
    """One event for a sign-in given up after ``failures`` wrong codes."""
    with transaction.atomic():
        record(
            "totp.sign_in_abandoned",
            actor=user,
            target=user,
            after={"wrong_codes": failures},
            reason=f"{failures} wrong codes in one sign-in",
        )


@dataclass(frozen=True)
class SetupSheet:
    """What a person needs to add the app: a QR code (inline SVG) and the secret as text."""

    qr_svg: SafeString
    secret: str
    url: str


def setup_sheet(device: TOTPDevice) -> SetupSheet:
    url = device.config_url
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    # qrcode's own markup: no script, no style, drawn from the otpauth URL alone.
    svg = mark_safe(image.to_string(encoding="unicode"))  # noqa: S308
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return SetupSheet(svg, grouped, url)


# Pages a person held at the setup page may still open.
OPEN_WHILE_HELD = {"people:two-factor", "logout", "login", "login-code", "healthz"}
HELD_MESSAGE = "Your role requires two-factor sign-in: set up an authenticator app before going on."


class SecondFactorMiddleware:
    """Holds people whose roles require a second factor at its setup page until
    their session is verified. After ``OTPMiddleware``, ``MessageMiddleware``
    and ``SessionLifetimeMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not held_at_setup(user) or request.resolver_match.view_name in OPEN_WHILE_HELD:
            return None
        if confirmed_device(user) is not None:
            # An app is set up but this session never gave a code (it began
            # before the app was): sign in again, with the code this time.
            logout(request)
            messages.info(request, "Sign in again with a code from your authenticator app.")
            return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
        setup = reverse("people:two-factor")
        if request.path.startswith("/api/"):
            message = f"{HELD_MESSAGE} Set it up at {setup} (your profile page)."
            body = {"errors": [{"index": None, "field": None, "message": message}]}
            return JsonResponse(body, status=403)
        messages.warning(request, HELD_MESSAGE)
        if request.method == "GET":
            setup = f"{setup}?{urlencode({'next': request.get_full_path()})}"
        return redirect(setup)
