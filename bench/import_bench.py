"""End-to-end figures for ``bench/ingest.py`` (its default mode).

Starts what it measures on a database of its own: gunicorn (a worker per
core), a private Redis as broker, and one Celery worker process per core;
posts the workload's alerts (bench/README.md), waits until every batch is
imported, and prints the end-to-end rate, its ratio to the COPY floor, and
its ratio to a naive importer (``bench/naive_import.py``: one ORM ``save()``
per alert, account, indicator and link) run on a 5,000-alert sample in a
copy of the same empty database. Worker memory is sampled as the run goes.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from harness import (
    DEFAULT_SERVER,
    PYTHON,
    ROOT,
    app_environment,
    cpu_seconds,
    create_database,
    drop_database,
    make_bodies,
    make_workload,
    manage,
    measure_floor,
    post_bodies,
    private_redis,
    running,
    say,
    server_pids,
    start_server,
    warm_up,
    with_database,
)

# Named per run, so two benchmarks running at once cannot drop each other's database.
E2E_DATABASE = f"dossier_bench_import_{os.getpid()}"
NAIVE_DATABASE = f"dossier_bench_naive_{os.getpid()}"


@contextmanager
def start_workers(env: dict[str, str], processes: int) -> Iterator[subprocess.Popen]:
    """One Celery worker (main process) with a pool process per core."""
    command = [
        str(Path(PYTHON).with_name("celery")),
        "-A",
        "dossier",
        "worker",
        "-l",
        "warning",
        "--concurrency",
        str(processes),
        "-Q",
        "celery",
        "-n",
        "bench@%h",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    with running(command, env, stop_timeout=60) as process:
        yield process


def pool_rss_mib(main: subprocess.Popen) -> float:
    """The largest resident size among the worker's pool processes, in MiB."""
    result = subprocess.run(
        ["ps", "-o", "rss=", "--ppid", str(main.pid)], capture_output=True, text=True
    )
    sizes = [int(line) for line in result.stdout.split() if line.strip().isdigit()]
    return max(sizes, default=0) / 1024


def pool_pids(main: subprocess.Popen) -> list[int]:
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(main.pid)], capture_output=True, text=True
    )
    return [main.pid, *(int(pid) for pid in result.stdout.split())]


class CpuMeter:
    """CPU seconds used by the web server and the import workers.

    Database backends are left out: the server is shared, and backends come
    and go with connections, so their figure would be neither complete nor ours.
    """

    def __init__(self, base_url: str, workers: subprocess.Popen) -> None:
        self.groups = {
            "web": lambda: server_pids(base_url),
            "import workers": lambda: pool_pids(workers),
        }
        self.start = {name: self._read(find()) for name, find in self.groups.items()}

    @staticmethod
    def _read(pids: list[int]) -> dict[int, float]:
        return {pid: cpu_seconds([pid]) for pid in pids}

    def used(self) -> dict[str, float]:
        spent = {}
        for name, find in self.groups.items():
            now = self._read(find())
            spent[name] = sum(now[pid] - self.start[name].get(pid, 0.0) for pid in now)
        return spent


def unfinished(conn) -> tuple[int, int]:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE status IN ('pending', 'importing')),"
        "       coalesce(sum(imported), 0) FROM ingestion_batch"
    ).fetchone()
    return row[0], row[1]


def wait_for_imports(database_url: str, workers, expected: int, timeout: float) -> list:
    """Poll until no batch is pending or importing; sample pool memory on the way."""
    samples = []
    marks = [0.25, 0.5, 0.75, 1.0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            left, imported = unfinished(conn)
            while marks and imported >= marks[0] * expected:
                samples.append((marks.pop(0), imported, pool_rss_mib(workers)))
            if left == 0:
                return samples
            if time.monotonic() > deadline:
                raise RuntimeError(f"{left} batches still unfinished after {timeout:.0f} s")
            time.sleep(0.2)


def check(database_url: str, prefix: str = "bench-") -> dict:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            SELECT count(*) FILTER (WHERE status = 'imported'),
                   count(*) FILTER (WHERE status <> 'imported'),
                   (SELECT count(*) FROM cases_evidence WHERE kind = 'alert'),
                   (SELECT count(*) FROM cases_case),
                   (SELECT coalesce(sum(alert_count), 0) FROM cases_case)
              FROM ingestion_alert
            """
        ).fetchone()
    return dict(zip(("imported", "other", "evidence", "cases", "case_alerts"), row, strict=True))


def naive_rate(server_url: str, alerts: list[dict], size: int) -> float:
    sample = list({alert["external_id"]: alert for alert in alerts}.values())[:size]
    env = app_environment(with_database(server_url, NAIVE_DATABASE), "redis://127.0.0.1:1/0")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(sample, handle)
    try:
        result = subprocess.run(
            [PYTHON, str(ROOT / "bench" / "naive_import.py"), handle.name],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(handle.name)
    if result.returncode != 0:
        raise RuntimeError(f"the naive import failed:\n{result.stderr[-3000:]}")
    count, seconds = result.stdout.split()
    return int(count) / float(seconds)


def end_to_end(args) -> None:
    server_url = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    cores = os.cpu_count() or 1
    web_workers = args.workers or cores
    say(f"creating databases {E2E_DATABASE} and {NAIVE_DATABASE}")
    database_url = create_database(server_url, E2E_DATABASE)
    try:
        with private_redis() as redis_url:
            env = app_environment(database_url, redis_url)
            say("migrating")
            manage(env, "migrate", "--noinput")
            # The naive baseline starts from the same empty, migrated schema.
            with psycopg.connect(with_database(server_url, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{NAIVE_DATABASE}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{NAIVE_DATABASE}" TEMPLATE "{E2E_DATABASE}"')
            token = manage(env, "detectors", "create", "bench", "--rate", "0")
            say(f"making {args.n} alerts ({args.workload} workload)")
            alerts = make_workload(args.workload, args.n, largest=args.largest).alerts
            bodies = make_bodies(alerts, args.batch)
            expected = len({a["external_id"] for a in alerts})
            say("measuring the floor (COPY of the raw JSON)")
            floor_before = measure_floor(database_url, alerts)
            with (
                start_server(env, web_workers, args.server_threads) as base_url,
                start_workers(env, cores) as workers,
            ):
                warm_up(base_url, token, args.threads)
                wait_for_imports(database_url, workers, 1, timeout=120)
                with psycopg.connect(database_url) as conn:
                    _, warm_imported = unfinished(conn)
                say(f"posting {len(bodies)} requests; {cores} import worker processes")
                meter = CpuMeter(base_url, workers)
                started = time.perf_counter()
                posted = post_bodies(base_url, token, bodies, args.threads)
                samples = wait_for_imports(
                    database_url, workers, expected + warm_imported, timeout=3600
                )
                seconds = time.perf_counter() - started
                cpu = meter.used()
            floor = (floor_before + measure_floor(database_url, alerts)) / 2
            outcome = check(database_url)
            say(f"naive baseline: {args.naive} alerts, one save() per row")
            naive = naive_rate(server_url, alerts, args.naive)
    finally:
        if not args.keep:
            drop_database(server_url, E2E_DATABASE)
            drop_database(server_url, NAIVE_DATABASE)

    rate = expected / seconds
    print(
        f"end-to-end: {posted.alerts} alerts posted ({expected} new, {posted.duplicates} duplicates) "
        f"in {posted.requests} requests of {args.batch}, all imported into cases in {seconds:.2f} s "
        f"= {rate:,.0f} alerts/s (posting alone took {posted.seconds:.2f} s; "
        f"gunicorn {web_workers} workers, {cores} import worker processes, {cores} cores)"
    )
    print(
        f"floor: psycopg COPY of the same raw JSON into an unindexed jsonb table = {floor:,.0f} rows/s"
    )
    print(f"ratio: end-to-end / floor = {rate / floor:.3f}")
    print(
        f"naive: one ORM save() per alert, account, indicator and link, {args.naive} alerts "
        f"= {naive:,.0f} alerts/s"
    )
    print(f"ratio: end-to-end / naive = {rate / naive:.1f}x")
    print(
        "cpu: "
        + ", ".join(f"{name} {spent:.1f} s" for name, spent in cpu.items())
        + " (ms per alert: "
        + ", ".join(f"{name} {spent * 1000 / expected:.2f}" for name, spent in cpu.items())
        + f"; wall {seconds:.1f} s x {os.cpu_count()} cores)"
    )
    print(
        "memory: largest import pool process at "
        + ", ".join(f"{int(mark * 100)}% ({n} alerts) {mib:.0f} MiB" for mark, n, mib in samples)
    )
    imported_bench = outcome["imported"] - warm_imported
    if imported_bench != expected or outcome["other"] or outcome["evidence"] != outcome["imported"]:
        print(f"check: FAILED: {outcome}")
        raise SystemExit(1)
    print(
        f"check: every distinct alert imported once ({expected} alerts, {outcome['cases']} cases, "
        f"{outcome['evidence']} alert evidence items; warm-up alerts included in the totals)"
    )
