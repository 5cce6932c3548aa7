"""Personal API tokens: a person's own credential for the REST API.

Only the SHA-256 of a token is stored; the clear text is shown once, when it
is made. A token acts with exactly its owner's roles and stops working when
revoked or when its owner is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# Person tokens start with this; detector tokens have their own prefix, so one
# look at a token says which table to look in.
TOKEN_PREFIX = "dsp_"
# Recording every use would make each API call a write; once a minute is enough
# to tell a live token from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(clear: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough (no stretching)."""
    return hashlib.sha256(clear.encode("utf-8", "surrogatepass")).hexdigest()


class PersonalTokenQuerySet(models.QuerySet):
    def active(self) -> PersonalTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class PersonalToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'notebook'.")
    # The first characters, shown so a person can tell their tokens apart.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PersonalTokenQuerySet.as_manager()

    class Meta:
        app_label = "people"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, user, name: str) -> tuple[PersonalToken, str]:
        """Create a token for ``user``; the clear text is returned once and never stored."""
        clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=clear[:12], token_hash=hash_token(clear)
        )
        return token, clear

    @classmethod
    def find(cls, clear: str) -> PersonalToken | None:
        """The active token with this clear text, with its owner loaded."""
        if not clear.startswith(TOKEN_PREFIX):
            return None
        return (
            cls.objects.active().select_related("user").filter(token_hash=hash_token(clear)).first()
        )

    def touch(self) -> None:
        """Record a use, at most once per ``LAST_USED_RESOLUTION``."""
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_RESOLUTION:
            return
        PersonalToken.objects.filter(pk=self.pk).update(last_used_at=now)
        self.last_used_at = now
