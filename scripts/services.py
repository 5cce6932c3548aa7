#!/usr/bin/env python3
"""Find or start the PostgreSQL and Redis that ``make run`` and ``make test`` use.

For each service, in order:

1. ``DATABASE_URL`` / ``REDIS_URL`` when set, used as given. If that server
   does not answer, say so and stop: a configured server is never silently
   replaced by another one.
2. The machine's server on 127.0.0.1:5432 / 127.0.0.1:6379 when it answers.
3. A private server under ``.run/`` on a free port, started from the
   machine's binaries (installing Debian's package first when there are none
   and we run as root). PostgreSQL refuses to run as root, so as root the
   private cluster belongs to the ``postgres`` OS user.

``DOSSIER_PRIVATE_SERVICES=1`` skips 1 and 2, so the private path can be used
(and tested) on a machine whose shared services answer. ``DOSSIER_RUN_DIR``
moves ``.run/``. Servers started here are stopped when the caller is done;
servers found running are left alone.

Command line (``make test`` uses it)::

    services.py exec [--redis-db N] -- COMMAND ...

runs COMMAND with DATABASE_URL, REDIS_URL and CELERY_BROKER_URL set, then
stops what it started and exits with COMMAND's status.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "dossier"
PRIVATE_DB_USER = "dossier"
SHARED_POSTGRES = "postgres://postgres@127.0.0.1:5432/" + DATABASE_NAME
SHARED_REDIS = "redis://127.0.0.1:6379"

T = TypeVar("T")


class ServiceError(RuntimeError):
    """A service could not be found or started; the message says what to do."""


def say(message: str) -> None:
    print(f"services: {message}", file=sys.stderr, flush=True)


def run_dir() -> Path:
    return Path(os.environ.get("DOSSIER_RUN_DIR") or ROOT / ".run").resolve()


def private_forced() -> bool:
    return os.environ.get("DOSSIER_PRIVATE_SERVICES", "").strip().lower() in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def port_is_listenable(port: int) -> bool:
    """Whether a server may listen on ``port`` as servers do (``SO_REUSEADDR``):
    the connections of a server just stopped on it, left in TIME_WAIT, do not
    count, so a restarted server gets its own port back."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def with_redis_db(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def is_root() -> bool:
    return os.geteuid() == 0


def apt_install(package: str) -> None:
    """Install a Debian package (root only); refresh the package lists if needed."""
    say(f"installing Debian's {package} package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode == 0:
        return
    subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=True)
    subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)


def found_or_installed(
    find: Callable[[], T | None], *, package: str, missing: str, installs: str, setting: str
) -> T:
    """What ``find`` finds, installing Debian's ``package`` first (as root) when it
    finds nothing; otherwise a ServiceError saying what to install or set."""
    found = find()
    if found is not None:
        return found
    if not is_root():
        raise ServiceError(
            f"{missing}; install Debian's {package} package, "
            f"or set {setting} to a server that answers"
        )
    apt_install(package)
    found = find()
    if found is None:
        raise ServiceError(f"the {package} package installed no {installs}")
    return found


# PostgreSQL ---------------------------------------------------------------


def postgres_problem(url: str) -> str | None:
    """None when the server answers and accepts us, else why not."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    # The maintenance database: ours may not exist yet.
    params = conninfo_to_dict(url)
    params["dbname"] = "postgres"
    try:
        with psycopg.connect(make_conninfo(**params), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def create_database(url: str) -> None:
    """Create the URL's database when it does not exist; never touches another one."""
    import psycopg
    from psycopg import errors, sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    name = params.get("dbname") or DATABASE_NAME
    params["dbname"] = "postgres"
    with psycopg.connect(make_conninfo(**params), autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        say(f"creating database {name}")
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.DuplicateDatabase:
            pass  # created meanwhile by another run
        except psycopg.Error as exc:
            raise ServiceError(f"could not create database {name}: {exc}") from exc


def postgres_binaries() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin, installing Debian's package if none."""

    def newest() -> Path | None:
        found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
        if not found:
            return None
        return Path(max(found, key=lambda p: int(Path(p).parts[-3].split(".")[0]))).parent

    return found_or_installed(
        newest,
        package="postgresql",
        missing="no PostgreSQL server binaries under /usr/lib/postgresql",
        installs="server binaries",
        setting="DATABASE_URL",
    )


class PrivatePostgres:
    """A PostgreSQL cluster of Dossier's own, listening only on 127.0.0.1."""

    def __init__(self, home: Path) -> None:
        self.requested_home = home
        self.bin_dir = postgres_binaries()
        # PostgreSQL refuses to run as root: then the cluster is the postgres user's.
        self.owner = pwd.getpwnam("postgres") if is_root() else None
        self.home = self._prepare_home()
        self.data = self.home / "data"
        self.started_here = False

    def _as_owner(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        if self.owner is not None:
            kwargs.update(user=self.owner.pw_uid, group=self.owner.pw_gid, extra_groups=[])
        return subprocess.run(list(args), **kwargs)

    def _owner_can_use(self, path: Path) -> bool:
        return self._as_owner("test", "-w", str(path), "-a", "-x", str(path)).returncode == 0

    def _prepare_home(self) -> Path:
        home = self.requested_home
        home.parent.mkdir(parents=True, exist_ok=True)
        if self.owner is None:
            home.mkdir(mode=0o700, exist_ok=True)
            return home.resolve()
        if home.is_dir():
            home = home.resolve()
            if self._owner_can_use(home):
                return home
        else:
            home.mkdir(mode=0o700)
            os.chown(home, self.owner.pw_uid, self.owner.pw_gid)
            if self._owner_can_use(home):
                return home
            home.rmdir()
        # A parent directory the postgres user may not enter (a private checkout,
        # a mode-700 temporary directory): keep the cluster in the system's
        # temporary directory, named after this checkout, and link it from .run/.
        digest = hashlib.sha256(str(self.requested_home).encode()).hexdigest()[:12]
        outside = Path(tempfile.gettempdir()) / f"dossier-pg-{digest}"
        outside.mkdir(mode=0o700, exist_ok=True)
        os.chown(outside, self.owner.pw_uid, self.owner.pw_gid)
        if not self.requested_home.is_symlink():
            self.requested_home.symlink_to(outside)
        say(
            f"the postgres user cannot enter {self.requested_home.parent}; cluster kept in {outside}"
        )
        return outside

    @property
    def _password_file(self) -> Path:
        return self.home / "password"

    @property
    def _port_file(self) -> Path:
        return self.home / "port"

    def url(self, port: int) -> str:
        password = quote(self._password_file.read_text().strip(), safe="")
        return f"postgres://{PRIVATE_DB_USER}:{password}@127.0.0.1:{port}/{DATABASE_NAME}"

    def _initdb(self) -> None:
        say(f"creating a private PostgreSQL cluster in {self.data}")
        self._write_owned(self._password_file, secrets.token_urlsafe(24))
        result = self._as_owner(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            PRIVATE_DB_USER,
            "--auth=scram-sha-256",
            f"--pwfile={self._password_file}",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise ServiceError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def _write_owned(self, path: Path, text: str) -> None:
        path.write_text(text + "\n")
        path.chmod(0o600)
        if self.owner is not None:
            os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    def _running(self) -> bool:
        status = self._as_owner(
            str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.data), capture_output=True
        )
        return status.returncode == 0

    def start(self) -> str:
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        if self._running() and self._port_file.exists():
            port = int(self._port_file.read_text())
            say(f"private PostgreSQL already running on 127.0.0.1:{port}; leaving it running")
            return self.url(port)
        stored = int(self._port_file.read_text()) if self._port_file.exists() else 0
        port = stored if stored and port_is_listenable(stored) else free_port()
        self._write_owned(self._port_file, str(port))
        log = self.home / "server.log"
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        result = self._as_owner(
            str(self.bin_dir / "pg_ctl"),
            "start",
            "-D",
            str(self.data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise ServiceError(f"private PostgreSQL did not start:\n{result.stderr}{tail}")
        self.started_here = True
        say(f"started private PostgreSQL on 127.0.0.1:{port} (data in {self.data})")
        return self.url(port)

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m mode``: ``fast`` ends sessions cleanly, ``immediate``
        drops them as a crash would (PostgreSQL recovers at the next start)."""
        if not self.started_here:
            return
        self._as_owner(
            str(self.bin_dir / "pg_ctl"),
            "stop",
            "-D",
            str(self.data),
            "-m",
            mode,
            "-w",
            capture_output=True,
        )
        self.started_here = False
        say("stopped private PostgreSQL")


def find_postgres(stack: contextlib.ExitStack) -> str:
    if not private_forced():
        given = os.environ.get("DATABASE_URL", "").strip()
        if given:
            problem = postgres_problem(given)
            if problem:
                raise ServiceError(f"DATABASE_URL {redact(given)} does not answer: {problem}")
            return given
        problem = postgres_problem(SHARED_POSTGRES)
        if problem is None:
            say("using PostgreSQL on 127.0.0.1:5432")
            return SHARED_POSTGRES
        say(f"no usable PostgreSQL on 127.0.0.1:5432 ({problem}); starting a private one")
    cluster = PrivatePostgres(run_dir() / "pg")
    stack.callback(cluster.stop)
    return cluster.start()


# Redis --------------------------------------------------------------------


def redis_problem(url: str) -> str | None:
    """None when the server answers PING, else why not."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
        return None
    except redis.RedisError as exc:
        return str(exc) or type(exc).__name__


def redis_binary() -> str:
    def on_path() -> str | None:
        return shutil.which("redis-server") or (
            "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
        )

    return found_or_installed(
        on_path,
        package="redis-server",
        missing="no redis-server",
        installs="redis-server",
        setting="REDIS_URL",
    )


class PrivateRedis:
    """A Redis of Dossier's own on 127.0.0.1, keeping nothing on disk."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.binary = redis_binary()
        self.process: subprocess.Popen | None = None

    def _url(self, port: int, password: str) -> str:
        return f"redis://default:{quote(password, safe='')}@127.0.0.1:{port}/0"

    def start(self) -> str:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        state = self.home / "server"  # "port password" of the last one started here
        if state.exists():
            port_text, password = state.read_text().split()
            url = self._url(int(port_text), password)
            if redis_problem(url) is None:
                say(f"private Redis already running on 127.0.0.1:{port_text}; leaving it running")
                return url
        port, password = free_port(), secrets.token_urlsafe(24)
        state.write_text(f"{port} {password}\n")
        state.chmod(0o600)
        command = [
            self.binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--requirepass",
            password,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.home),
            "--logfile",
            str(self.home / "redis.log"),
        ]
        # Its own session: a Ctrl-C in the terminal reaches us, and we stop it in order.
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, start_new_session=True, close_fds=True
        )
        url = self._url(port, password)
        deadline = time.monotonic() + 15
        while redis_problem(url) is not None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = self.home / "redis.log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise ServiceError(f"private Redis did not start:\n{tail}")
            time.sleep(0.1)
        say(f"started private Redis on 127.0.0.1:{port}")
        return url

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            say("stopped private Redis")
        self.process = None


def find_redis(stack: contextlib.ExitStack, db: int) -> str:
    if not private_forced():
        given = os.environ.get("REDIS_URL", "").strip()
        if given:
            problem = redis_problem(given)
            if problem:
                raise ServiceError(f"REDIS_URL {redact(given)} does not answer: {problem}")
            return given
        shared = with_redis_db(SHARED_REDIS, db)
        problem = redis_problem(shared)
        if problem is None:
            say(f"using Redis on 127.0.0.1:6379 (database {db})")
            return shared
        say(f"no Redis on 127.0.0.1:6379 ({problem}); starting a private one")
    server = PrivateRedis(run_dir() / "redis")
    stack.callback(server.stop)
    return with_redis_db(server.start(), db)


# Together -------------------------------------------------------------------


@contextlib.contextmanager
def provisioned(redis_db: int = 0) -> Iterator[dict[str, str]]:
    """Yield the environment that points Dossier at its services; stop what was started."""
    with contextlib.ExitStack() as stack:
        database_url = find_postgres(stack)
        create_database(database_url)
        redis_url = find_redis(stack, redis_db)
        broker = os.environ.get("CELERY_BROKER_URL", "").strip()
        if private_forced() or not broker:
            broker = redis_url
        yield {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "CELERY_BROKER_URL": broker}


def raise_on_sigterm(signum, frame) -> None:
    # Turn SIGTERM into an exception so the private servers are stopped on the way out.
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="action", required=True)
    exec_parser = commands.add_parser("exec", help="run a command with the services provisioned")
    exec_parser.add_argument("--redis-db", type=int, default=0, help="Redis database number")
    exec_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("exec needs a command after --")
    signal.signal(signal.SIGTERM, raise_on_sigterm)
    try:
        with provisioned(args.redis_db) as env:
            return subprocess.run(command, env={**os.environ, **env}).returncode
    except ServiceError as exc:
        say(str(exc))
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
