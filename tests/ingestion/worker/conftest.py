"""Integration harness: a private Redis broker and real Celery worker processes.

The worker is another process, so tests using it must be transactional
(``transactional_db``): it sees only committed data, in the same test database
pytest-django created for this run. Every process started here is stopped at
teardown, before pytest-django flushes the database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis as redis_client
from django.db import connection

from scripts.services import free_port
from tests.processes import url_of_test_database

ROOT = Path(__file__).resolve().parents[3]
CELERY = str(Path(sys.executable).with_name("celery"))


def wait_for(
    predicate: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.1, what: str = ""
):
    """Poll ``predicate`` until it returns something truthy, or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or predicate}")
        time.sleep(interval)


class RedisServer:
    """A private, non-persistent redis-server that a test may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.process is None, "already running"
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - kept for the process
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = redis_client.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: self._pings(client), timeout=10, interval=0.05, what="redis to start")

    @staticmethod
    def _pings(client) -> bool:
        try:
            return bool(client.ping())
        except redis_client.RedisError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def queue_length(self, queue: str = "celery") -> int:
        return redis_client.Redis(port=self.port).llen(queue)


class CeleryWorker:
    """One ``celery -A dossier worker`` process group, logging to a file."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path, *, beat: bool) -> None:
        self.name = name
        self.env = env
        self.workdir = workdir
        self.beat = beat
        self.log_path = workdir / f"worker-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> CeleryWorker:
        assert self.process is None, "already running"
        args = [
            CELERY,
            "-A",
            "dossier",
            "worker",
            "-l",
            "info",
            "--concurrency",
            "1",
            "-Q",
            "celery",
            "-n",
            f"{self.name}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        if self.beat:
            args += ["-B", "-s", str(self.workdir / f"beat-{self.name}")]
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept for the process
        # A session of its own, so a kill reaches the pool children and beat too.
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            lambda: self._ready(offset), timeout=60, interval=0.1, what=f"worker {self.name} ready"
        )
        return self

    def _ready(self, offset: int) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"worker {self.name} exited:\n{self.log()}")
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return b" ready." in log.read()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker, as a crash or an OOM kill would."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self, timeout: float = 20.0) -> None:
        """Warm shutdown (the running task finishes), then a kill if it hangs."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def restart(self) -> CeleryWorker:
        self.kill()
        return self.start()


@pytest.fixture
def redis_broker(tmp_path, settings, monkeypatch) -> Iterator[RedisServer]:
    """A private Redis, used as broker and cache by this test process and its workers."""
    from dossier.celery import app

    server = RedisServer(tmp_path)
    server.start()
    previous = app.conf.broker_url
    # Celery reads this variable before its configuration (and `make test` sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    settings.CELERY_BROKER_URL = server.url
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    _point_celery_at(app, server.url)
    try:
        yield server
    finally:
        _point_celery_at(app, previous)
        server.stop()


def _point_celery_at(app, url: str) -> None:
    """Make publishing from this process go to ``url`` (drops pooled connections)."""
    from kombu import pools

    app.conf.broker_url = url
    app._after_fork()
    # kombu keeps pools per connection globally; start afresh rather than reuse
    # a pool whose broker this test stopped.
    pools.reset()


def worker_environment(database_url: str, broker_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"TEST_DATABASE_NAME", "PYTEST_CURRENT_TEST", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DEBUG="1",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        REDIS_URL=broker_url,
        # Short timeouts so the sweeper's backstop is observable within a test.
        IMPORT_CLAIM_TIMEOUT="4",
        IMPORT_PENDING_AFTER="2",
        IMPORT_SWEEP_INTERVAL="1",
        PYTHONUNBUFFERED="1",
        DOSSIER_PROCESS="worker",
    )
    env.update(extra)
    return env


@pytest.fixture
def start_worker(transactional_db, redis_broker, tmp_path) -> Iterator[Callable[..., CeleryWorker]]:
    """``start_worker(beat=False, **env)`` starts a real worker against the test database."""
    started: list[CeleryWorker] = []

    def start(*, beat: bool = False, name: str | None = None, **extra_env: str) -> CeleryWorker:
        worker = CeleryWorker(
            name or f"w{len(started) + 1}",
            worker_environment(url_of_test_database(), redis_broker.url, **extra_env),
            tmp_path,
            beat=beat,
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop(timeout=10)
    # Workers' connections are gone; close ours so the flush is not blocked by locks.
    connection.close()
