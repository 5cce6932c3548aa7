"""Answers when a request fails outside the views' control.

Both templates extend ``plain.html`` and are rendered without the request, so
no context processor runs: the navigation and the person's roles need the
database, which may be exactly what failed.

Three kinds of failure are told apart, because they ask different things of
whoever sees them:

* the database cannot be reached (a lost or refused connection): 503 with
  ``Retry-After``, the outage page; the API says so in its error shape;
* a statement ran past this process's statement timeout
  (``WEB_STATEMENT_TIMEOUT``, dossier/settings.py) and PostgreSQL cancelled
  it: the database is up, this request was too slow; 503 without
  ``Retry-After`` (retrying at once would likely be as slow), the
  "took too long" page; the transaction was rolled back, nothing was kept;
* anything else is a bug: 500.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from psycopg.errors import QueryCanceled

# A lost or refused connection; other database errors are bugs and answer 500.
UNREACHABLE = (OperationalError, InterfaceError)
OUTAGE_RETRY_SECONDS = 60

MESSAGES = {
    "outage": "Dossier cannot reach its database; try again later.",
    "too_slow": (
        "Dossier stopped this request after {seconds} seconds in its database; "
        "nothing was kept. Try again, or narrow the request."
    ),
    "bug": "Dossier could not answer this request.",
}
TEMPLATES = {"outage": "outage.html", "too_slow": "too_slow.html", "bug": "500.html"}


def failure_kind(exc: BaseException | None) -> str:
    """``outage``, ``too_slow`` or ``bug`` for the exception a request ended with."""
    if isinstance(exc, OperationalError) and isinstance(exc.__cause__, QueryCanceled):
        return "too_slow"
    if isinstance(exc, UNREACHABLE):
        return "outage"
    return "bug"


def _seconds() -> str:
    return f"{settings.STATEMENT_TIMEOUT:g}"


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 for an outage or a statement cut off by its timeout, else 500."""
    kind = failure_kind(sys.exc_info()[1])
    status = 500 if kind == "bug" else 503
    if request.path.startswith("/api/"):
        message = MESSAGES[kind].format(seconds=_seconds())
        response: HttpResponse = JsonResponse(
            {"errors": [{"index": None, "field": None, "message": message}]}, status=status
        )
    else:
        template = loader.get_template(TEMPLATES[kind])
        response = HttpResponse(template.render({"seconds": _seconds()}), status=status)
    if kind == "outage":
        response["Retry-After"] = str(OUTAGE_RETRY_SECONDS)
    return response
