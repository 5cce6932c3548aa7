"""Dossier's settings serving ``tests.core.failing_urls``, for a gunicorn under test."""

from dossier import settings as dossier_settings

# dossier.settings exports only DEBUG to ``import *``: take every setting by name.
globals().update(
    {name: getattr(dossier_settings, name) for name in dir(dossier_settings) if name.isupper()}
)

ROOT_URLCONF = "tests.core.failing_urls"
