#!/usr/bin/env python3
"""``make run``: Dossier on this machine, for development.

Finds or starts PostgreSQL and Redis (``scripts/services.py``), migrates,
collects static files, creates the demo users once, then runs the web server,
a Celery worker and Celery beat until Ctrl-C (or until one of them exits), and
stops everything it started, in reverse order, and nothing else.

Migrations run as the database's owner (``DATABASE_URL``); the web server,
worker and beat connect as the runtime role ``dossier_runtime``, which owns
nothing, so the audit trail's append-only triggers bind them. The role is
created or updated and granted by ``manage.py audit grant-runtime --create``
after every migrate, with the password ``RUNTIME_DB_PASSWORD`` or, when that
is unset, one generated once into ``.run/runtime-db-password``.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import services  # sibling script, importable once its folder is on the path

ROOT = services.ROOT
PYTHON = sys.executable
BIN = Path(PYTHON).parent
RUNTIME_ROLE = "dossier_runtime"


def say(message: str) -> None:
    print(f"run: {message}", file=sys.stderr, flush=True)


class Supervisor:
    """Child processes, each in its own process group so a stop reaches its workers too."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stop_requested = False

    def start(self, name: str, command: list[str], **env: str) -> None:
        say(f"starting {name}: {' '.join(command)}")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, **env},
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.children.append((name, process))
        say(f"{name} started (pid {process.pid})")

    def _request_stop(self, signum, frame) -> None:
        self.stop_requested = True

    def wait(self) -> int:
        """Block until Ctrl-C / SIGTERM (0) or until a child exits on its own (1)."""
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        while not self.stop_requested:
            for name, process in self.children:
                if process.poll() is not None:
                    say(f"{name} exited with status {process.returncode}; stopping the rest")
                    return 1
            time.sleep(0.5)
        return 0

    def stop(self) -> None:
        for name, process in reversed(self.children):
            if process.poll() is None:
                say(f"stopping {name}")
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in reversed(self.children):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in 20 s; killing it")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.children.clear()


def manage(env: dict[str, str], *args: str, quiet: bool = False, errors: bool = False) -> bool:
    """Run a manage.py command; ``quiet`` hides its output (its errors too, unless ``errors``)."""
    output = subprocess.DEVNULL if quiet else None
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=None if errors else output,
    )
    return result.returncode == 0


def database_is_fresh(database_url: str) -> bool:
    """True before the first migration: Dossier has never run on this database."""
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        row = conn.execute("SELECT to_regclass('public.django_migrations') IS NULL").fetchone()
    return bool(row[0])


def runtime_password(run_dir: Path) -> str:
    """``RUNTIME_DB_PASSWORD``, else this machine's own, generated at the first run."""
    given = os.environ.get("RUNTIME_DB_PASSWORD", "").strip()
    if given:
        return given
    kept = run_dir / "runtime-db-password"
    if not kept.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        kept.touch(mode=0o600)
        kept.write_text(secrets.token_urlsafe(24) + "\n")
    return kept.read_text().strip()


def as_role(database_url: str, role: str, password: str) -> str:
    """The same server and database, signed in as ``role``."""
    parts = urlsplit(database_url)
    server = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{server}"
    return urlunsplit(parts._replace(netloc=netloc))


def wait_until_serving(url: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own local URL)
                return True
        except OSError as exc:
            # /healthz answers 503 while a dependency is down: still serving.
            if getattr(exc, "code", None):
                return True
            time.sleep(0.5)
    return False


def main() -> int:
    signal.signal(signal.SIGTERM, services.raise_on_sigterm)
    port = int(os.environ.get("PORT", "8000"))
    if not services.port_is_free(port):
        say(f"127.0.0.1:{port} is in use by another program; stop it or set PORT")
        return 2
    base_env = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1"}
    base_env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    run_dir = services.run_dir()
    try:
        with services.provisioned(redis_db=0) as urls:
            env = {**base_env, **urls}
            fresh = database_is_fresh(urls["DATABASE_URL"])
            steps = (("migrate", "--noinput"), ("collectstatic", "--noinput", "-v", "0"))
            for step in steps:
                if not manage(env, *step):
                    say(f"manage.py {step[0]} failed")
                    return 1
            demo_file = run_dir / "demo-users.txt"
            if not manage(env, "demo_users", "--file", str(demo_file), quiet=True):
                say("manage.py demo_users failed")
                return 1
            password = runtime_password(run_dir)
            grant = ("audit", "grant-runtime", RUNTIME_ROLE, "--create")
            if not manage(
                {**env, "RUNTIME_DB_PASSWORD": password}, *grant, quiet=True, errors=True
            ):
                say("manage.py audit grant-runtime failed")
                return 1
            runtime = {**env, "DATABASE_URL": as_role(env["DATABASE_URL"], RUNTIME_ROLE, password)}
            owner = urlsplit(env["DATABASE_URL"]).username
            say(f"migrated as {owner}; web, worker and beat connect as {RUNTIME_ROLE}")
            supervisor = Supervisor(runtime)
            try:
                return serve(supervisor, runtime, port, fresh, demo_file, run_dir)
            finally:
                supervisor.stop()
    except services.ServiceError as exc:
        say(str(exc))
        return 2
    except KeyboardInterrupt:
        return 130


def serve(
    supervisor: Supervisor, env: dict, port: int, fresh: bool, demo_file: Path, run_dir: Path
) -> int:
    supervisor.start(
        "web",
        [
            str(BIN / "gunicorn"),
            # The web statement timeout and GUNICORN_TIMEOUT.
            "--config",
            "gunicorn.conf.py",
            "dossier.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
        ],
    )
    supervisor.start(
        "worker",
        [str(BIN / "celery"), "-A", "dossier", "worker", "-l", "info", "--concurrency", "2"],
        DOSSIER_PROCESS="worker",
    )
    supervisor.start(
        "beat",
        [
            str(BIN / "celery"),
            "-A",
            "dossier",
            "beat",
            "-l",
            "info",
            "--schedule",
            str(run_dir / "celerybeat-schedule"),
        ],
        DOSSIER_PROCESS="worker",
    )
    url = f"http://127.0.0.1:{port}/"
    if not wait_until_serving(url + "healthz"):
        say("the web server did not answer within 60 s")
        return 1

    # ---- HOOK: sample data on a fresh database -----------------------------
    # On the first start against an empty database, fill it with simulated
    # detector traffic so the pages have something to show. Runs only when the
    # command exists (`manage.py help simulate_detectors` succeeds).
    if fresh and manage(env, "help", "simulate_detectors", quiet=True):
        say("fresh database: running manage.py simulate_detectors")
        manage(env, "simulate_detectors")
    # -------------------------------------------------------------------------

    print(f"\nDossier is running at {url}", flush=True)
    print(demo_file.read_text(), flush=True)
    print("Press Ctrl-C to stop.\n", flush=True)
    return supervisor.wait()


if __name__ == "__main__":
    sys.exit(main())
