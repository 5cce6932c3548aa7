"""What a process a test starts (gunicorn, a Celery worker) needs to reach the test's services.

The suite may run against the machine's PostgreSQL (trust authentication) or
against private, password-protected servers (``DOSSIER_PRIVATE_SERVICES=1``):
a started process gets the test database with the same user, password, host
and port the test process itself uses.
"""

from __future__ import annotations

from urllib.parse import quote

from django.db import connection


def url_of_test_database(user: str | None = None, password: str | None = None) -> str:
    """A ``DATABASE_URL`` for the test database, credentials included: the
    test's own, or those of ``user`` (a role such as the runtime role)."""
    settings = connection.settings_dict
    if user is None:
        user, password = settings["USER"] or "", settings["PASSWORD"]
    user = quote(user, safe="")
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings['NAME']}"
