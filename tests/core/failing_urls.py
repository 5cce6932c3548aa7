"""Dossier's URLs plus some that fail or take long, for the error page tests.

Only tests load them: in-process through ``ROOT_URLCONF``, in a gunicorn
through ``tests.core.failing_settings``.
"""

from django.db import OperationalError, connection, transaction
from django.http import HttpResponse
from django.urls import path

from dossier.urls import handler500
from dossier.urls import urlpatterns as dossier_urlpatterns


def broken(request):
    raise RuntimeError("a bug")


def database_gone(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def slow(request):
    """A query that sleeps ``?seconds=`` (default 60), past any statement timeout under test."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [float(request.GET.get("seconds", "60"))])
    return HttpResponse("finished")


urlpatterns = [
    path("slow/", slow),
    path("api/v1/slow/", slow),
    path("broken/", broken),
    path("api/v1/broken/", database_gone),
    *dossier_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
