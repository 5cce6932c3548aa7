"""Detector tokens for the REST API.

``BearerAuthentication`` turns ``Authorization: Bearer <token>`` (read by
``people.api_auth.bearer_token``, the one parser) into a ``DetectorUser`` (no
roles, so ``HasRole`` refuses it everywhere) with the ``Detector`` as
``request.auth``. Only the alerts endpoints accept it, through
``IsDetector``; ``NotDetector`` lets other endpoints refuse detectors even
where they check nothing else.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from ingestion.models import Detector
from people.api_auth import DETECTOR_REFUSED, BearerTokenScheme, bearer_token
from people.bad_tokens import bad_token
from people.tokens import hash_token, is_detector_token


class DetectorUser(AnonymousUser):
    """The request's user when a detector calls: authenticated, holding no role."""

    def __init__(self, detector: Detector):
        self.detector = detector
        self.username = f"detector:{detector.name}"

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_authenticated(self) -> bool:
        return True

    def __str__(self) -> str:
        return self.username


class BearerAuthentication(BaseAuthentication):
    def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None
        if not is_detector_token(token):
            # Not a detector token (a person's, or garbage): other authenticators
            # decide, and endpoints that need a detector answer 401.
            return None
        detector = find_detector(token)
        if detector is None:
            # Counted against the address: 401, or 429 past its bad-token limit.
            raise bad_token(request, "Invalid, expired or revoked token.")
        return DetectorUser(detector), detector

    def authenticate_header(self, request) -> str:
        return "Bearer"


_DETECTOR_FIELDS = ["id", "name", "active", "rate_per_minute", "last_seen_at"]
# Every request runs this; plain SQL costs a fraction of compiling the ORM query.
_FIND_SQL = """
SELECT d.id, d.name, d.active, d.rate_per_minute, d.last_seen_at
FROM ingestion_detectortoken t JOIN ingestion_detector d ON d.id = t.detector_id
WHERE t.token_hash = %s AND t.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > %s) AND d.active
"""


def find_detector(token: str) -> Detector | None:
    """The active detector whose usable (not revoked, not expired) token this is."""
    with connection.cursor() as cursor:
        cursor.execute(_FIND_SQL, [hash_token(token), timezone.now()])
        row = cursor.fetchone()
    # Other fields load on access (deferred), as with .only().
    return Detector.from_db("default", _DETECTOR_FIELDS, row) if row else None


def detector_of(request) -> Detector | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Detector) else None


class IsDetector(BasePermission):
    message = "This endpoint is for detectors: authenticate with a detector token."

    def has_permission(self, request, view) -> bool:
        return detector_of(request) is not None


class NotDetector(BasePermission):
    """A detector token may use the alerts endpoints and nothing else."""

    message = DETECTOR_REFUSED

    def has_permission(self, request, view) -> bool:
        return detector_of(request) is None


class DetectorTokenScheme(BearerTokenScheme):
    target_class = BearerAuthentication
    name = "detectorToken"
    description = "A detector token (dsr_...) from `manage.py detectors create`."
