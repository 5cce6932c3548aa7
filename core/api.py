"""API conventions shared by every endpoint.

Every 4xx answer has the shape docs/alerts-api.md describes:
``{"errors": [{"index": null, "field": "...", "message": "..."}]}``.
A workflow's refusal (``core.refusals``) is answered here, once for every
endpoint, with its HTTP status and its message.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.serializers import Serializer
from rest_framework.views import exception_handler as drf_exception_handler

from core.refusals import Invalid, Refused, http_status


class JsonErrors(BaseContentNegotiation):
    """Refusals and 400s are JSON whatever the caller accepts: for an endpoint
    that streams a file and sets that file's content type itself."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def validated(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    """The request body checked by ``serializer_class``; a 400 names what is wrong."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _flatten(detail: Any, prefix: str | None = None) -> list[dict]:
    if isinstance(detail, dict):
        errors: list[dict] = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "detail") else key
            field = f"{prefix}.{name}" if prefix and name else (name or prefix)
            errors.extend(_flatten(value, field))
        return errors
    if isinstance(detail, list):
        errors = []
        for position, item in enumerate(detail):
            if isinstance(item, dict | list):
                errors.extend(_flatten(item, f"{prefix}[{position}]" if prefix else None))
            else:
                errors.extend(_flatten(item, prefix))
        return errors
    return [{"index": None, "field": prefix, "message": str(detail)}]


def refusal_as_api_exception(exc: Refused) -> exceptions.APIException:
    """A refusal as its HTTP answer; an invalid request names the field at fault."""
    if isinstance(exc, Invalid):
        return exceptions.ValidationError({exc.field or "non_field_errors": [str(exc)]})
    answer = exceptions.APIException(str(exc), code=exc.code)
    answer.status_code = http_status(exc)
    return answer


def exception_handler(exc, context):
    if isinstance(exc, Refused):
        exc = refusal_as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is not None and 400 <= response.status_code < 500:
        data = response.data
        if not (isinstance(data, dict) and "errors" in data):
            response.data = {"errors": _flatten(data)}
    return response
