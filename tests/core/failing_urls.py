"""Dossier's URLs plus two that fail, for the error page tests."""

from django.db import OperationalError
from django.urls import path

from dossier.urls import handler500
from dossier.urls import urlpatterns as dossier_urlpatterns


def broken(request):
    raise RuntimeError("a bug")


def database_gone(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


urlpatterns = [
    path("broken/", broken),
    path("api/v1/broken/", database_gone),
    *dossier_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
