"""What both benchmarks share: private services, the synthetic workload, measurements.

``bench/ingest.py`` (the accept figures, and the entry point) and
``bench/import_bench.py`` (end to end, which ``ingest.py`` runs by default)
both build on these, so the two never import each other both ways.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# One per run: two benchmarks started at once must not drop each other's database.
BENCH_DATABASE = f"dossier_bench_{os.getpid()}"
FLOOR_KINDS = ("text", "jsonb")
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


# --- services -------------------------------------------------------------


def create_database(server_url: str, name: str = BENCH_DATABASE) -> str:
    """A fresh, empty database on the server; returns its URL."""
    with psycopg.connect(with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(server_url, name)


def drop_database(server_url: str, name: str = BENCH_DATABASE) -> None:
    with psycopg.connect(with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def private_redis() -> Iterator[str]:
    """A Redis of the benchmark's own (the broker receives every import message)."""
    if not shutil.which("redis-server"):
        url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
        say(f"no redis-server binary; using {url}")
        yield url
        return
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def app_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """Production settings (DEBUG off) pointing at the benchmark's services."""
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        EVIDENCE_ROOT=str(ROOT / ".run" / "bench-evidence"),
        EXPORT_ROOT=str(ROOT / ".run" / "bench-exports"),
        # The benchmark approves no actions; checkpoints are made as in production.
        ENFORCEMENT_BACKEND="log",
        AUDIT_CHECKPOINT_KEYS="bench-checkpoint-" + "k" * 40,
        # Base64 of 32 raw bytes, as production requires: it seals each audit event.
        AUDIT_SIGNING_KEY=base64.b64encode(b"bench-signing-".ljust(32, b"k")).decode(),
        AUDIT_ANCHOR_PATH=str(ROOT / ".run" / "bench-audit-anchors.jsonl"),
        LOG_LEVEL="WARNING",
        # Served on 127.0.0.1 over plain HTTP, as a server behind its TLS proxy is.
        SECURE_SSL_REDIRECT="false",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout.strip()


@contextmanager
def running(
    command: list[str], env: dict[str, str], stop_timeout: float
) -> Iterator[subprocess.Popen]:
    """A process of the benchmark's, terminated (and waited for) on the way out."""
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=stop_timeout)


@contextmanager
def start_server(env: dict[str, str], workers: int, threads: int = 1) -> Iterator[str]:
    """gunicorn on a free port; yields its base URL."""
    port = free_port()
    command = [
        str(Path(PYTHON).with_name("gunicorn")),
        "dossier.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    with running(command, env, stop_timeout=30):
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"


def server_pids(base_url: str) -> list[int]:
    """The gunicorn master and workers serving ``base_url`` (they share its command line)."""
    bind = urlsplit(base_url).netloc.encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if bind in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def database_pids(database_url: str) -> list[int]:
    """Backends connected to the benchmark's database (the server's connections)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


# --- workload -------------------------------------------------------------

# The generators are the simulator's (ingestion/simulator.py, standard library
# only), so the benchmark and ``manage.py simulate_detectors`` post the same traffic.
sys.path.insert(0, str(ROOT))
from ingestion.simulator import WORKLOADS, Workload, workload  # noqa: E402

DEFAULT_WORKLOAD = "campaign"
WORKLOAD_CHOICES = WORKLOADS


def make_workload(name: str, n: int, *, seed: int = 7, largest: int = 25_000) -> Workload:
    """N alerts of the named workload (bench/README.md), with who is behind them."""
    return workload(name, n, seed=seed, largest=largest)


def make_alerts(
    n: int, *, duplicate_share: float = 0.1, seed: int = 7, name: str = DEFAULT_WORKLOAD
) -> list[dict]:
    """N alerts; about ``duplicate_share`` of them repeat an earlier external id."""
    return workload(name, n, seed=seed, duplicate_share=duplicate_share).alerts


def make_bodies(alerts: list[dict], batch_size: int) -> list[bytes]:
    return [
        json.dumps({"alerts": alerts[start : start + batch_size]}).encode()
        for start in range(0, len(alerts), batch_size)
    ]


# --- measurements ---------------------------------------------------------


@dataclass
class PostResult:
    seconds: float
    alerts: int
    accepted: int
    duplicates: int
    requests: int


def post_bodies(base_url: str, token: str, bodies: list[bytes], threads: int) -> PostResult:
    """Post every body from ``threads`` clients, each with a persistent session."""
    url = base_url + "/api/v1/alerts/"
    lock = threading.Lock()
    queue = list(reversed(bodies))
    totals = {"accepted": 0, "duplicates": 0, "alerts": 0}
    failures: list[str] = []

    def client() -> None:
        session = requests.Session()
        session.headers.update(
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        )
        while True:
            with lock:
                if not queue or failures:
                    return
                body = queue.pop()
            response = session.post(url, data=body, timeout=120)
            if response.status_code != 202:
                with lock:
                    failures.append(f"{response.status_code}: {response.text[:300]}")
                return
            answer = response.json()
            with lock:
                totals["accepted"] += answer["accepted"]
                totals["duplicates"] += answer["duplicates"]
                totals["alerts"] += answer["accepted"] + answer["duplicates"]

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"a post failed: {failures[0]}")
    return PostResult(
        seconds, totals["alerts"], totals["accepted"], totals["duplicates"], len(bodies)
    )


def warm_up(base_url: str, token: str, threads: int) -> None:
    """Load every worker's code and connections (broker included) before measuring.

    Uniform alerts: their accounts, values and hints are none of the measured workload's.
    """
    warm = make_alerts(threads * 40, duplicate_share=0, seed=99, name="uniform")
    for alert in warm:
        alert["external_id"] = "warm-" + alert["external_id"]
    post_bodies(base_url, token, make_bodies(warm, 5), threads)


def measure_floor(database_url: str, alerts: list[dict], column_type: str = "text") -> float:
    """Rows/s of a bare COPY of the same raw alert JSON into an unindexed table.

    ``text`` stores the bytes as they are; ``jsonb`` adds PostgreSQL's parse,
    which the alerts table pays too.
    """
    rows = [json.dumps(alert) for alert in alerts]
    with psycopg.connect(database_url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor")
        conn.execute(f"CREATE TABLE bench_floor (payload {column_type})")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy("COPY bench_floor (payload) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row,))
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_floor")
        conn.commit()
    return len(rows) / seconds


def stored_alerts(database_url: str, prefix: str = "bench-") -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM ingestion_alert WHERE external_id LIKE %s", [prefix + "%"]
        ).fetchone()[0]
