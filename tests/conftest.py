import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import Group
from django.core.cache import caches
from rest_framework.test import APIClient

from people.roles import Role
from scripts import services
from tests.processes import url_of_test_database


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_audit_trigger():
    """Let transactional tests reset the database although the audit table refuses TRUNCATE.

    Django's flush between transactional tests (``transactional_db``,
    ``live_server``) truncates every table. Only in tests, the table's owner
    disables the TRUNCATE trigger inside the flush's own transaction and enables
    it again before commit, so the trigger stays in force for the tests themselves.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    guarded = {
        "audit_auditevent": "audit_event_no_truncate",
        "audit_auditcheckpoint": "audit_checkpoint_no_truncate",
    }

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        present = [(table, guarded[table]) for table in tables if table in guarded]
        if statements and present:
            toggle = "ALTER TABLE {} {} TRIGGER {}"
            statements = [
                *(toggle.format(table, "DISABLE", trigger) for table, trigger in present),
                *statements,
                *(toggle.format(table, "ENABLE", trigger) for table, trigger in present),
            ]
        return statements

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _bad_token_counts_start_at_zero():
    """Bad tokens are counted per address in Redis (``people.bad_tokens``), which
    outlives a test: forget the counts after each test, so the suite's many
    bad tokens from 127.0.0.1 never add up to a limit no single test reached."""
    yield
    try:
        client = caches["default"]._cache.get_client(write=True)
        keys = list(client.scan_iter(match="*dossier:bad-tokens:*", count=1000))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # a test that broke the store has its own assertions


@pytest.fixture
def make_user(django_user_model):
    """Create a user holding the given roles: ``make_user("lead", username="lee")``."""

    def make(*roles: Role | str, username: str | None = None, **extra):
        name = username or ("_".join(str(r) for r in roles) or "noroles") + f"_{make.count}"
        make.count += 1
        user = django_user_model.objects.create_user(
            username=name, password="pw-for-tests-1", **extra
        )
        for role in roles:
            user.groups.add(Group.objects.get(name=str(role)))
        return user

    make.count = 0
    return make


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the test's own on a free port, so stopping it harms nobody."""
    server = services.PrivateRedis(tmp_path / "redis")
    server.url = server.start()
    server.client = redis.Redis.from_url(server.url, socket_connect_timeout=0.5)
    yield server
    server.stop()


def pytest_collection_modifyitems(items):
    # A test that starts gunicorn is one of those CI runs again on private servers.
    for item in items:
        if "gunicorn_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.processes)


@pytest.fixture
def gunicorn_server(transactional_db, private_redis, tmp_path):
    """Start gunicorn on a free port serving the test database, as production
    runs Dossier (``gunicorn dossier.wsgi``): ``gunicorn_server(**env)`` gives
    its base URL; settings may be given as environment variables."""
    processes: list[subprocess.Popen] = []

    def start(**settings: str) -> str:
        port = services.free_port()
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": url_of_test_database(),
            "REDIS_URL": private_redis.url,
            "CELERY_BROKER_URL": private_redis.url,
            "EVIDENCE_ROOT": str(tmp_path / "evidence"),
            **settings,
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        process = subprocess.Popen(
            [
                *(gunicorn, "dossier.wsgi:application", "--bind", f"127.0.0.1:{port}"),
                *("--workers", "1", "--log-level", "warning"),
            ],
            env=env,
            cwd=Path(__file__).resolve().parents[1],
        )
        processes.append(process)
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return f"http://127.0.0.1:{port}"
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("gunicorn did not start")
            time.sleep(0.1)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(autouse=True)
def evidence_root(settings, tmp_path):
    """Uploaded evidence goes to the test's own folder, never to ``.run/evidence``."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.EVIDENCE_ROOT


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    """Export jobs write to the test's own folder, never to ``.run/exports``."""
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT


@pytest.fixture(autouse=True)
def audit_anchors(settings, tmp_path, monkeypatch):
    """The chain's outside anchors go to the test's own file, also for the workers,
    servers and commands it starts (they take the environment)."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchors.jsonl"
    monkeypatch.setenv("AUDIT_ANCHOR_PATH", str(settings.AUDIT_ANCHOR_PATH))
    return settings.AUDIT_ANCHOR_PATH


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_role(api, make_user):
    """An API client signed in (by session) as a new user holding ``roles``."""

    def login(*roles, **extra):
        user = make_user(*roles, **extra)
        api.force_authenticate(user=None)
        api.force_login(user)
        api.user = user
        return api

    return login


_FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture
def report_figure(request):
    """``report_figure(line)``: a figure a test measured, shown after the run
    (in pytest's terminal summary, so also without ``-s``)."""
    return request.config.stash.setdefault(_FIGURES, []).append


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    figures = config.stash.get(_FIGURES, [])
    if figures:
        terminalreporter.section("figures the tests measured")
        for line in figures:
            terminalreporter.write_line(line)
