"""Answers when a request fails outside the views' control.

Both templates extend ``plain.html`` and are rendered without the request, so
no context processor runs: the navigation and the person's roles need the
database, which may be exactly what failed.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

# A lost or refused connection; other database errors are bugs and answer 500.
UNREACHABLE = (OperationalError, InterfaceError)
OUTAGE_RETRY_SECONDS = 60


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the outage page (503) when the database is unreachable, else 500."""
    outage = isinstance(sys.exc_info()[1], UNREACHABLE)
    status = 503 if outage else 500
    if request.path.startswith("/api/"):
        message = (
            "Dossier cannot reach its database; try again later."
            if outage
            else "Dossier could not answer this request."
        )
        response: HttpResponse = JsonResponse(
            {"errors": [{"index": None, "field": None, "message": message}]}, status=status
        )
    else:
        template = loader.get_template("outage.html" if outage else "500.html")
        response = HttpResponse(template.render(), status=status)
    if outage:
        response["Retry-After"] = str(OUTAGE_RETRY_SECONDS)
    return response
