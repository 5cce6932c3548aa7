"""Middleware every request passes through.

Request ids: taken from ``X-Request-ID`` when a proxy sets one, else made up;
echoed in the response and recorded with every audit event written while
serving the request. Addresses holding a NUL character are refused first.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from urllib.parse import unquote

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
current_remote_addr: ContextVar[str | None] = ContextVar("current_remote_addr", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def client_address(request) -> str | None:
    """The address a request came from, as the audit trail records it and as
    sign-in lockouts and bad-token limits count it: the peer's ``REMOTE_ADDR``,
    never a header the client could set."""
    return request.META.get("REMOTE_ADDR")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        id_token = current_request_id.set(request_id)
        addr_token = current_remote_addr.set(client_address(request))
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(id_token)
            current_remote_addr.reset(addr_token)
        response["X-Request-ID"] = request_id
        return response


class RefuseNulCharactersMiddleware:
    """A NUL character in the path or the query string is refused with a 400.

    PostgreSQL cannot store or compare text holding NUL: left to reach a query,
    such a request fails as a database error (a 500) instead of a bad request.
    """

    MESSAGE = "The address contains a NUL character (%00), which Dossier does not accept."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return self._refuse(request)
        return self.get_response(request)

    def _refuse(self, request) -> HttpResponse:
        if request.path.startswith("/api/"):
            field = "query" if "\x00" not in request.path else "path"
            body = {"errors": [{"index": None, "field": field, "message": self.MESSAGE}]}
            return JsonResponse(body, status=400)
        return HttpResponseBadRequest(self.MESSAGE, content_type="text/plain; charset=utf-8")
