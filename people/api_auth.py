"""``Authorization: Bearer`` for the REST API: the one parser, and people's tokens.

``bearer_token`` reads the header for every kind of token.
``PersonalTokenAuthentication`` accepts personal tokens; it recognises a
detector token by its prefix and refuses it (403), so person-facing endpoints
turn detectors away without knowing the app that keeps them.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from people.bad_tokens import bad_token
from people.tokens import PERSONAL_TOKEN_PREFIX, PersonalToken, is_detector_token

DETECTOR_REFUSED = "A detector token may only use the alerts endpoints."


def bearer_token(request) -> str | None:
    """The token of a ``Bearer`` header; ``None`` without one; 401 when it is
    malformed (429 past the bad-token limit, ``people.bad_tokens``)."""
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return None
    if len(header) != 2:
        raise bad_token(request, "The Authorization header must be 'Bearer <token>'.")
    try:
        return header[1].decode("ascii")
    except UnicodeDecodeError:
        raise bad_token(request, "Invalid token.") from None


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates a person by a personal token; the answer to a bad token is
    401, or 429 past the bad-token limit of its address (``people.bad_tokens``)."""

    keyword = "Bearer"

    def authenticate(self, request):
        value = bearer_token(request)
        if value is None:
            return None
        if is_detector_token(value):
            raise exceptions.PermissionDenied(DETECTOR_REFUSED)
        if not value.startswith(PERSONAL_TOKEN_PREFIX):
            return None
        token = PersonalToken.find(value)
        if token is None:
            raise bad_token(request, "Unknown or revoked token.")
        if token.has_expired:
            raise bad_token(
                request,
                f"This token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; "
                "make a new one on your profile page.",
            )
        token.touch()
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Declaring the scheme makes DRF answer 401 (not 403) to a missing credential.
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents one kind of Bearer token in the OpenAPI schema (a kind sets
    ``target_class``, ``name`` and ``description``)."""

    description = ""

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": self.description}


class PersonalTokenScheme(BearerTokenScheme):
    target_class = PersonalTokenAuthentication
    name = "personalToken"
    description = "A personal token (dsp_...) made on the profile page."
