"""``Authorization: Bearer`` for people, with personal tokens.

Detector tokens have another prefix and are left to the detectors'
authenticator; a bearer value that is neither is refused here with 401.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from people.tokens import TOKEN_PREFIX, PersonalToken


def bearer_value(request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates a person by a personal token; the answer to a bad token is 401."""

    keyword = "Bearer"

    def authenticate(self, request):
        value = bearer_value(request)
        if value is None or not value.startswith(TOKEN_PREFIX):
            return None
        token = PersonalToken.find(value)
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked token.")
        token.touch()
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Declaring the scheme makes DRF answer 401 (not 403) to a missing credential.
        return self.keyword


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """Documents personal tokens in the OpenAPI schema."""

    target_class = PersonalTokenAuthentication
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token (dsp_...) made on the profile page.",
        }


class DetectorTokenScheme(OpenApiAuthenticationExtension):
    """Documents detector tokens; they are refused (403) outside the alerts endpoints."""

    target_class = "ingestion.auth.BearerAuthentication"
    name = "detectorToken"
    priority = -1  # the detectors' own description wins if it is registered

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A detector token (dsr_...) from `manage.py detectors create`.",
        }
