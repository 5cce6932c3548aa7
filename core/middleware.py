"""Middleware every request passes through.

Request ids: taken from ``X-Request-ID`` when a proxy sets one, else made up;
echoed in the response and recorded with every audit event written while
serving the request. Addresses holding a NUL character are refused first,
then request bodies larger than their route takes (413), before anyone reads
them.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve

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


class RequestBodyTooLarge(Exception):
    """More of a request body was read than its route takes."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        self.limit = limit
        self.size = size
        super().__init__(f"the request body exceeds {limit} bytes")


def body_limit(request: HttpRequest) -> tuple[int, str]:
    """The largest body the request's route takes, and what the limit is for.

    ``settings.REQUEST_BODY_LIMITS`` names routes (by URL name) that take more
    or less than ``REQUEST_MAX_BODY_BYTES``: the limit is another setting,
    read at each request, plus room for what wraps it (a form's boundaries
    and other fields around an uploaded file).
    """
    try:
        view_name = resolve(request.path_info).view_name
    except Resolver404:
        view_name = ""
    route = settings.REQUEST_BODY_LIMITS.get(view_name)
    if route is None:
        return int(settings.REQUEST_MAX_BODY_BYTES), ""
    content_limit = int(getattr(settings, route["setting"]))
    what = f"{route['what']} may be at most {_size(content_limit)}" if route.get("what") else ""
    return content_limit + int(route.get("overhead", 0)), what


def _size(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    return f"{filesizeformat(count)} ({count:,} bytes)".replace("\xa0", " ")


class CappedInput:
    """``wsgi.input`` that raises ``RequestBodyTooLarge`` once more than
    ``limit`` bytes were read from it.

    Django reads a body only up to its Content-Length, which the middleware
    has checked; a body without one (``Transfer-Encoding: chunked``) is read
    from the raw stream by whoever takes such bodies (the alerts API), and
    this stops them at the limit whatever they ask for.
    """

    def __init__(self, stream, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0

    def _count(self, data: bytes) -> bytes:
        self._read += len(data)
        if self._read > self._limit:
            raise RequestBodyTooLarge(self._limit)
        return data

    def _allowance(self, size: int | None) -> int:
        # Never more than one byte past the limit: enough to tell it was passed.
        room = self._limit + 1 - self._read
        return room if size is None or size < 0 else min(size, room)

    def read(self, size: int | None = -1) -> bytes:
        return self._count(self._stream.read(self._allowance(size)))

    def readline(self, size: int | None = -1) -> bytes:
        return self._count(self._stream.readline(self._allowance(size)))

    def __iter__(self):
        while line := self.readline():
            yield line


class RequestBodyLimitMiddleware:
    """A request body larger than its route takes is refused with 413.

    A declared size (Content-Length) over the limit is refused before a byte
    of the body is read, so an oversized upload costs the server nothing; a
    body of no declared size is capped as it is read (``CappedInput``). The
    API answers in its error shape (docs/alerts-api.md: ``index`` and
    ``field`` null for a 413), pages with a page saying what the limit is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit, what = body_limit(request)
        declared = _declared_length(request)
        if declared is not None and declared > limit:
            return too_large(request, limit, what, declared)
        request.META["wsgi.input"] = CappedInput(request.META["wsgi.input"], limit)
        request.body_limit = (limit, what)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RequestBodyTooLarge):
            limit, what = getattr(request, "body_limit", (exception.limit, ""))
            return too_large(request, limit, what, None)
        return None


def _declared_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or ""
    try:
        return int(raw) if raw.strip() else None
    except ValueError:
        return None


def too_large(request: HttpRequest, limit: int, what: str, declared: int | None) -> HttpResponse:
    size = f"{_size(declared)}, more" if declared else "more"
    message = f"The request body is {size} than the {_size(limit)} Dossier takes here."
    if what:
        message += f" {what}."
    message += " Nothing was stored."
    if request.path.startswith("/api/"):
        body = {"errors": [{"index": None, "field": None, "message": message}]}
        return JsonResponse(body, status=413)
    # Rendered without the request: nothing may read the session or the
    # database for a request that is being turned away.
    page = loader.get_template("413.html").render({"message": message, "what": what})
    return HttpResponse(page, status=413)
