"""API tokens: one machinery, two kinds.

A person's personal token (``PersonalToken``, here) and a detector's token
(``ingestion.models.DetectorToken``) are made, stored and recognised the same
way: a kind prefix and 256 random bits, shown in clear once when made, stored
only as a SHA-256. The prefix says at a glance which kind a token is, so a
token is looked up in its own kind's table only, and endpoints can refuse a
kind without knowing the app that owns it.

A personal token acts with exactly its owner's roles and stops working when
revoked, when its owner is deactivated, or when it expires: every personal
token has an expiry, chosen when it is made (``PERSONAL_TOKEN_DEFAULT_DAYS``,
at most ``PERSONAL_TOKEN_MAX_DAYS``), so a forgotten token does not stay
usable for ever. People's tokens change only through ``issue_personal_token``
and ``revoke_personal_token``, which audit the change in the same transaction.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta
from typing import ClassVar, Self

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from audit.events import record

PERSONAL_TOKEN_PREFIX = "dsp_"
DETECTOR_TOKEN_PREFIX = "dsr_"
# Shown in listings so a person can tell their tokens apart; never enough to use.
SHOWN_CHARACTERS = 12
# Recording every use would make each API call a write; once a minute is enough
# to tell a live token from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_ACTIVE_PERSONAL_TOKENS = 20


def hash_token(clear: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough (no stretching)."""
    return hashlib.sha256(clear.encode("utf-8", "surrogatepass")).hexdigest()


def is_detector_token(clear: str) -> bool:
    return clear.startswith(DETECTOR_TOKEN_PREFIX)


class IssuedToken(models.Model):
    """What every kind of token stores; a kind sets ``PREFIX`` and its owner."""

    PREFIX: ClassVar[str]

    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def make(cls, **fields) -> tuple[Self, str]:
        """Create a token with ``fields`` (its owner); the clear text is returned once."""
        clear = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            prefix=clear[:SHOWN_CHARACTERS], token_hash=hash_token(clear), **fields
        )
        return token, clear


class PersonalTokenQuerySet(models.QuerySet):
    def unrevoked(self) -> PersonalTokenQuerySet:
        """Not revoked, of an active owner: usable unless expired."""
        return self.filter(revoked_at__isnull=True, user__is_active=True)

    def active(self) -> PersonalTokenQuerySet:
        return self.unrevoked().filter(expires_at__gt=timezone.now())


class PersonalToken(IssuedToken):
    PREFIX = PERSONAL_TOKEN_PREFIX

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'notebook'.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = PersonalTokenQuerySet.as_manager()

    class Meta:
        app_label = "people"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name: str, days: int | None = None) -> tuple[PersonalToken, str]:
        """Create a token for ``user`` expiring in ``days`` (default
        ``PERSONAL_TOKEN_DEFAULT_DAYS``); unaudited: ``issue_personal_token`` audits."""
        days = settings.PERSONAL_TOKEN_DEFAULT_DAYS if days is None else days
        return cls.make(user=user, name=name, expires_at=timezone.now() + timedelta(days=days))

    @classmethod
    def find(cls, clear: str) -> PersonalToken | None:
        """The unrevoked token with this clear text, expired or not (the caller
        says which), with its owner loaded."""
        if not clear.startswith(cls.PREFIX):
            return None
        return (
            cls.objects.unrevoked()
            .select_related("user")
            .filter(token_hash=hash_token(clear))
            .first()
        )

    @property
    def has_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def days_left(self) -> int:
        """Whole days until expiry, rounded up (0 once expired)."""
        seconds = (self.expires_at - timezone.now()).total_seconds()
        return max(0, math.ceil(seconds / 86400))

    def touch(self) -> None:
        """Record a use, at most once per ``LAST_USED_RESOLUTION``."""
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_RESOLUTION:
            return
        PersonalToken.objects.filter(pk=self.pk).update(last_used_at=now)
        self.last_used_at = now


class TokenRefused(Exception):
    """A token cannot be made as asked; the message says why."""


class TooManyTokens(TokenRefused):
    """The person already holds ``MAX_ACTIVE_PERSONAL_TOKENS`` active tokens."""


def issue_personal_token(actor, name: str, *, days: int | None = None) -> tuple[PersonalToken, str]:
    """A new token for ``actor`` expiring in ``days``, and its audit event; the
    clear text is returned once."""
    days = settings.PERSONAL_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.PERSONAL_TOKEN_MAX_DAYS:
        raise TokenRefused(
            f"A token lasts from 1 to {settings.PERSONAL_TOKEN_MAX_DAYS} days, not {days}."
        )
    with transaction.atomic():
        active = PersonalToken.objects.active().filter(user=actor).count()
        if active >= MAX_ACTIVE_PERSONAL_TOKENS:
            raise TooManyTokens(f"You already have {active} active tokens; revoke one first.")
        token, clear = PersonalToken.issue(actor, name, days)
        record(
            "token.created",
            actor=actor,
            target=token,
            after={"expires_at": token.expires_at.isoformat()},
        )
    return token, clear


def revoke_personal_token(actor, token_id: int) -> PersonalToken | None:
    """Revoke one of ``actor``'s own tokens (audited once); ``None`` if it has no such token."""
    with transaction.atomic():
        token = PersonalToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
        if token is not None and token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record("token.revoked", actor=actor, target=token)
    return token
