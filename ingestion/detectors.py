"""Detector administration: create, rotate and revoke tokens, each audited.

Called by ``manage.py detectors``; the clear-text token is returned once and
only its hash is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.events import record
from ingestion.models import Detector, DetectorToken

SYSTEM = "manage.py"


class DetectorError(Exception):
    pass


@dataclass(frozen=True)
class Issued:
    detector: Detector
    token: str


def create_detector(name: str, *, description: str = "", rate: int | None = None) -> Issued:
    name = name.strip()
    if not name or "/" in name:
        # Prompt clusters are stored as "<detector name>/<value>".
        raise DetectorError("a detector name must be non-empty and must not contain '/'")
    if rate is not None and rate < 0:
        raise DetectorError("the rate must be 0 (unlimited) or more requests per minute")
    with transaction.atomic():
        if Detector.objects.filter(name=name).exists():
            raise DetectorError(f"a detector named {name!r} already exists")
        detector = Detector.objects.create(
            name=name,
            description=description,
            rate_per_minute=settings.DETECTOR_DEFAULT_RATE if rate is None else rate,
        )
        token, clear = DetectorToken.issue(detector)
        record(
            "detector.created",
            system=SYSTEM,
            target=detector,
            after={
                "name": name,
                "description": description,
                "rate_per_minute": detector.rate_per_minute,
                "token_prefix": token.prefix,
            },
        )
    return Issued(detector, clear)


def rotate_token(name: str, *, grace_hours: float = 24) -> Issued:
    """Issue a new token; the current ones keep working for ``grace_hours``."""
    if grace_hours < 0:
        raise DetectorError("the grace period cannot be negative")
    with transaction.atomic():
        detector = _locked(name)
        now = timezone.now()
        expires = now + timedelta(hours=grace_hours)
        old = DetectorToken.objects.usable(now).filter(detector=detector)
        old_prefixes = list(old.values_list("prefix", flat=True))
        # A token already expiring sooner keeps its earlier end.
        old.filter(expires_at__isnull=True).update(expires_at=expires)
        old.filter(expires_at__gt=expires).update(expires_at=expires)
        token, clear = DetectorToken.issue(detector)
        record(
            "detector.token_rotated",
            system=SYSTEM,
            target=detector,
            before={"token_prefixes": old_prefixes},
            after={"token_prefix": token.prefix, "old_tokens_expire_at": expires.isoformat()},
        )
    return Issued(detector, clear)


def revoke_detector(name: str) -> Detector:
    """Revoke every token of the detector at once; it can no longer post."""
    with transaction.atomic():
        detector = _locked(name)
        now = timezone.now()
        tokens = DetectorToken.objects.filter(detector=detector, revoked_at__isnull=True)
        prefixes = list(tokens.values_list("prefix", flat=True))
        tokens.update(revoked_at=now)
        record(
            "detector.revoked",
            system=SYSTEM,
            target=detector,
            before={"token_prefixes": prefixes},
            after={"token_prefixes": []},
        )
    return detector


EDITABLE_FIELDS = ("description", "active", "rate_per_minute")


def update_detector(detector_id: int, *, actor, changes: dict) -> Detector:
    """Change a detector's description, active flag or rate (the Django admin)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DetectorError(f"not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        detector = Detector.objects.select_for_update().get(pk=detector_id)
        before = {name: getattr(detector, name) for name in changes}
        if before == changes:
            return detector
        for name, value in changes.items():
            setattr(detector, name, value)
        detector.save(update_fields=list(changes))
        record("detector.updated", actor=actor, target=detector, before=before, after=changes)
    return detector


def revoke_token(token_id: int, *, actor) -> DetectorToken:
    """Revoke one token (the Django admin); the detector's other tokens keep working."""
    with transaction.atomic():
        token = (
            DetectorToken.objects.select_for_update().select_related("detector").get(pk=token_id)
        )
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            "detector.token_revoked",
            actor=actor,
            target=token.detector,
            before={"token_prefix": token.prefix, "revoked": False},
            after={"token_prefix": token.prefix, "revoked": True},
        )
    return token


def _locked(name: str) -> Detector:
    detector = Detector.objects.select_for_update().filter(name=name).first()
    if detector is None:
        raise DetectorError(f"no detector named {name!r}")
    return detector
