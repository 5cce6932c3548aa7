"""End-to-end figures for ``bench/ingest.py`` (its default mode).

Starts what it measures on a database of its own: gunicorn (a worker per
core), a private Redis as broker, and one Celery worker process per core;
posts the workload's alerts (bench/README.md), waits until every batch is
imported, and prints the end-to-end rate, its ratio to the COPY floor, and
its ratio to a naive importer (``bench/naive_import.py``: one ORM ``save()``
per alert, account, indicator and link) run on a 5,000-alert sample in a
copy of the same empty database. Worker memory is sampled as the run goes.

Measured in the same run, on the workload's own truth: the open cases each
operator ends in (the generator knows every account's operator), the import's
time per batch at the start and the end of the run (from the batch rows'
claim and finish times), and where the import processes' wall time goes
(``WaitSampler``: their database backends' wait events and the processes'
scheduler states, sampled every few milliseconds).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
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
# How the import workers' connections are told apart from the web server's.
IMPORT_APPLICATION = "dossier-bench-import"
# The import's transaction-scoped advisory locks (ingestion/importing/run.py,
# audit/events.py), as pg_locks shows a bigint key: (classid, objid).
ADVISORY_LOCKS = {
    (0x696D706F7274 >> 32, 0x696D706F7274 & 0xFFFFFFFF): "correlation",
    (0x636F756E7473 >> 32, 0x636F756E7473 & 0xFFFFFFFF): "counters",
    (0x646F7373696572 >> 32, 0x646F7373696572 & 0xFFFFFFFF): "audit chain",
}


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


_SAMPLE_SQL = """
SELECT a.pid, a.state, a.wait_event_type, a.wait_event, l.locktype, l.classid, l.objid
  FROM pg_stat_activity AS a
  LEFT JOIN LATERAL (
        SELECT locktype, classid::bigint, objid::bigint FROM pg_locks
         WHERE pid = a.pid AND NOT granted LIMIT 1
       ) AS l ON true
 WHERE a.datname = current_database() AND a.application_name = %s
"""
# Where an import process's time goes, in the order printed.
BUSY = ("python", "database executing")
WAITING = (
    "lock (correlation)",
    "lock (counters)",
    "lock (audit chain)",
    "lock (rows, other)",
    "io/other",
    "idle (no batch, broker)",
)


class WaitSampler(threading.Thread):
    """Samples, every ``interval`` s, what each import pool process is doing.

    A backend running a statement is the database executing, or waiting on a
    lock (told apart by the advisory key or lock type it waits for) or on
    I/O, an LWLock, IPC and the like ("io/other"). A process whose backend is
    not running a statement is running Python when the kernel has it running
    or runnable, and otherwise idle: waiting for its next batch from the
    broker. Processes and backends are counted, not paired, which is exact
    while each process holds at most one connection (the import's).

    Also reads /proc/<pid>/schedstat of the pool processes and of their
    backends: the time they were runnable but waiting for a core, which the
    2-core machine shares between the web server, the database and the client.
    """

    def __init__(self, database_url: str, workers: subprocess.Popen, interval: float) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.workers = workers
        self.interval = interval
        self.counts = dict.fromkeys(BUSY + WAITING, 0)
        self.samples = 0
        self.other_locks: dict[str, int] = {}
        self.halt = threading.Event()
        self.pids = pool_pids(workers)[1:]
        self.queue_start = _runqueue_seconds(self.pids)
        self.wall_start = time.perf_counter()
        self.wall = self.queue = 0.0
        # Backend pid -> runqueue seconds when first and last sampled.
        self.backend_queue: dict[int, list[float]] = {}

    def run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.halt.wait(self.interval):
                self._sample(conn)

    def stop(self) -> None:
        self.halt.set()
        self.join()
        self.wall = time.perf_counter() - self.wall_start
        self.queue = _runqueue_seconds(self.pids) - self.queue_start

    def _sample(self, conn) -> None:
        rows = conn.execute(_SAMPLE_SQL, [IMPORT_APPLICATION]).fetchall()
        running = sum(1 for pid in self.pids if _scheduler_state(pid) == "R")
        statements = 0
        for pid, state, wait_type, wait_event, locktype, classid, objid in rows:
            queued = _runqueue_seconds([pid])
            self.backend_queue.setdefault(pid, [queued, queued])[1] = queued
            if state != "active" or wait_type == "Client":
                continue  # the backend waits for its process: counted with the processes
            statements += 1
            if wait_type == "Lock":
                name = ADVISORY_LOCKS.get((classid, objid)) if locktype == "advisory" else None
                if name is None:
                    if locktype == "advisory":
                        label = f"advisory {(classid << 32) | objid:#x}"
                    elif locktype is None:
                        # Granted between reading pg_stat_activity and pg_locks.
                        label = f"{wait_event} (granted before its key was read)"
                    else:
                        label = wait_event
                    self.other_locks[label] = self.other_locks.get(label, 0) + 1
                    name = "rows, other"
                self.counts[f"lock ({name})"] += 1
            elif wait_type is None:
                self.counts["database executing"] += 1
            else:
                self.counts["io/other"] += 1
        free = max(0, len(self.pids) - statements)
        python = min(free, running)
        self.counts["python"] += python
        self.counts["idle (no batch, broker)"] += free - python
        self.samples += 1

    def backends_queued(self) -> float:
        return sum(last - first for first, last in self.backend_queue.values())

    def shares(self) -> dict[str, float]:
        total = sum(self.counts.values()) or 1
        return {name: count / total for name, count in self.counts.items()}


def _scheduler_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "?"


def _runqueue_seconds(pids: list[int]) -> float:
    """Seconds the processes have spent runnable, waiting for a core (/proc/<pid>/schedstat)."""
    total = 0.0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            continue
    return total


def batch_times(database_url: str, since) -> list[float]:
    """Seconds from claim to finish of every batch received since ``since``, in claim order."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM finished_at - claimed_at) FROM ingestion_batch"
            " WHERE received_at >= %s AND finished_at IS NOT NULL ORDER BY claimed_at",
            [since],
        ).fetchall()
    return [float(seconds) for (seconds,) in rows]


def cases_per_group(database_url: str, owners: dict[str, str]) -> dict[str, tuple[int, int]]:
    """For each group of accounts (an operator, or a kind of honest user): how many of
    its accounts the database holds, and how many open cases they are in."""
    with psycopg.connect(database_url) as conn:
        conn.execute("CREATE TEMPORARY TABLE bench_truth (external_id text, owner text)")
        with conn.cursor() as cursor, cursor.copy("COPY bench_truth FROM STDIN") as copy:
            for row in owners.items():
                copy.write_row(row)
        rows = conn.execute(
            """
            SELECT t.owner, count(DISTINCT a.id), count(DISTINCT c.id)
              FROM bench_truth AS t
              JOIN cases_account AS a ON a.external_id = t.external_id
              LEFT JOIN cases_caseaccount AS l ON l.account_id = a.id
              LEFT JOIN cases_case AS c ON c.id = l.case_id AND c.status <> 'closed'
             GROUP BY t.owner
            """
        ).fetchall()
        mixed = conn.execute(
            """
            SELECT count(*) FROM (
                SELECT l.case_id FROM bench_truth AS t
                  JOIN cases_account AS a ON a.external_id = t.external_id
                  JOIN cases_caseaccount AS l ON l.account_id = a.id
                  JOIN cases_case AS c ON c.id = l.case_id AND c.status <> 'closed'
                 GROUP BY l.case_id HAVING count(DISTINCT t.owner) > 1
            ) AS m
            """
        ).fetchone()[0]
        shared = conn.execute(
            """
            SELECT count(*) FROM (
                SELECT l.case_id FROM bench_truth AS t
                  JOIN cases_account AS a ON a.external_id = t.external_id
                  JOIN cases_caseaccount AS l ON l.account_id = a.id
                 WHERE t.owner LIKE 'honest:%%'
                 GROUP BY l.case_id HAVING count(*) > 1
            ) AS s
            """
        ).fetchone()[0]
    found = {owner: (accounts, cases) for owner, accounts, cases in rows}
    found["mixed"] = (mixed, 0)
    found["honest together"] = (shared, 0)
    return found


def add_known_shared(env: dict[str, str], entries: list[dict]) -> str:
    """Put the workload's legitimately shared values on the known-shared list, as a lead."""
    if not entries:
        return "none in this workload"
    code = f"""
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
try:
    from cases.workflow import add_known_shared
except ImportError:
    print("no known-shared list in this Dossier")
    raise SystemExit(0)
lead, _ = get_user_model().objects.get_or_create(username="bench-lead")
lead.groups.add(Group.objects.get(name="lead"))
entries = json.loads({json.dumps(json.dumps(entries))})
for entry in entries:
    add_known_shared(entry["type"], entry["value"], actor=lead, reason=entry["reason"])
print(f"{{len(entries)}} value(s) on the known-shared list")
"""
    # The last line: the shell may announce its automatic imports first.
    return manage(env, "shell", "-c", code).splitlines()[-1]


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
            world = make_workload(args.workload, args.n, largest=args.largest)
            alerts = world.alerts
            bodies = make_bodies(alerts, args.batch)
            expected = len({a["external_id"] for a in alerts})
            known_shared = add_known_shared(env, world.known_shared)
            say(f"known-shared list: {known_shared}")
            say("measuring the floor (COPY of the raw JSON)")
            floor_before = measure_floor(database_url, alerts)
            separator = "&" if "?" in database_url else "?"
            worker_env = {
                **env,
                "DATABASE_URL": f"{database_url}{separator}application_name={IMPORT_APPLICATION}",
            }
            with (
                start_server(env, web_workers, args.server_threads) as base_url,
                start_workers(worker_env, cores) as workers,
            ):
                warm_up(base_url, token, args.threads)
                wait_for_imports(database_url, workers, 1, timeout=120)
                with psycopg.connect(database_url) as conn:
                    _, warm_imported = unfinished(conn)
                    (since,) = conn.execute("SELECT clock_timestamp()").fetchone()
                say(f"posting {len(bodies)} requests; {cores} import worker processes")
                meter = CpuMeter(base_url, workers)
                sampler = WaitSampler(database_url, workers, args.sample_ms / 1000)
                sampler.start()
                started = time.perf_counter()
                posted = post_bodies(base_url, token, bodies, args.threads)
                samples = wait_for_imports(
                    database_url, workers, expected + warm_imported, timeout=3600
                )
                seconds = time.perf_counter() - started
                sampler.stop()
                cpu = meter.used()
            floor = (floor_before + measure_floor(database_url, alerts)) / 2
            outcome = check(database_url)
            times = batch_times(database_url, since)
            owners = {
                **{account: f"operator:{name}" for account, name in world.operator_of.items()},
                **{account: f"honest:{kind}" for account, kind in world.honest_of.items()},
            }
            groups = cases_per_group(database_url, owners) if owners else {}
            with psycopg.connect(database_url) as conn:
                (autovacuum,) = conn.execute("SHOW autovacuum").fetchone()
            say(f"naive baseline: {args.naive} alerts, one save() per row")
            naive = naive_rate(server_url, alerts, args.naive)
    finally:
        if not args.keep:
            drop_database(server_url, E2E_DATABASE)
            drop_database(server_url, NAIVE_DATABASE)

    rate = expected / seconds
    print(
        f"workload: {world.name}, {len(alerts)} alerts ({describe(world)}); "
        f"known-shared list: {known_shared}"
    )
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
    # With autovacuum off, nothing analyses the growing tables during the run:
    # the import's plans must hold on statistics from an empty schema.
    print(
        f"server: autovacuum {autovacuum}; load average {os.getloadavg()[0]:.1f} at the end "
        f"on {os.cpu_count()} cores"
    )
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
    print_batch_times(times, args.batch)
    print_waiting(sampler, cores)
    print_cases(groups, list(world.operator_sizes))
    imported_bench = outcome["imported"] - warm_imported
    if imported_bench != expected or outcome["other"] or outcome["evidence"] != outcome["imported"]:
        print(f"check: FAILED: {outcome}")
        raise SystemExit(1)
    print(
        f"check: every distinct alert imported once ({expected} alerts, {outcome['cases']} cases, "
        f"{outcome['evidence']} alert evidence items; warm-up alerts included in the totals)"
    )


def describe(world) -> str:
    if not world.operator_of:
        return "no operators behind them"
    sizes = ", ".join(f"{name} {size:,}" for name, size in world.operator_sizes.items())
    honest: dict[str, int] = {}
    for kind in world.honest_of.values():
        honest[kind] = honest.get(kind, 0) + 1
    return f"operators' accounts: {sizes}; honest accounts: " + ", ".join(
        f"{kind} {count:,}" for kind, count in honest.items()
    )


def print_batch_times(times: list[float], batch: int) -> None:
    if not times:
        print("batches: none finished")
        return
    tenth = max(1, len(times) // 10)
    first, last = statistics.median(times[:tenth]), statistics.median(times[-tenth:])
    print(
        f"batches: {len(times)} of up to {batch} alerts, claim to finish: median of the first "
        f"{tenth} {first * 1000:,.0f} ms, of the last {tenth} {last * 1000:,.0f} ms "
        f"(last / first = {last / first:.2f}; target <= 1.5)"
    )


def print_waiting(sampler: WaitSampler, cores: int) -> None:
    shares = sampler.shares()
    waiting = sum(shares[name] for name in WAITING)
    print(
        f"waiting: {waiting:.0%} of the import processes' wall time: "
        + ", ".join(f"{shares[name]:.0%} {name}" for name in WAITING)
        + "; busy: "
        + ", ".join(f"{shares[name]:.0%} {name}" for name in BUSY)
        + f" ({sampler.samples} samples every {sampler.interval * 1000:.0f} ms"
        f" of {len(sampler.pids)} processes)"
    )
    if sampler.other_locks:
        print(
            "waiting: other locks sampled: "
            + ", ".join(f"{name} x{n}" for name, n in sorted(sampler.other_locks.items()))
        )
    wall = sampler.wall * len(sampler.pids) or 1
    print(
        f"waiting for a core (runnable, /proc schedstat; {cores} cores shared with the web "
        f"server, the database and the client): the import processes "
        f"{sampler.queue / wall:.0%} of their wall time (part of python above), "
        f"their database backends {sampler.backends_queued() / wall:.0%} "
        "(part of database executing above)"
    )


def print_cases(groups: dict[str, tuple[int, int]], operators: list[str]) -> None:
    """Operators largest first, then the honest accounts."""
    if not groups:
        return
    mixed, _ = groups.pop("mixed")
    together, _ = groups.pop("honest together")
    order = [f"operator:{name}" for name in operators]
    for owner in sorted(groups, key=lambda o: (order.index(o) if o in order else len(order), o)):
        accounts, cases = groups[owner]
        kind, name = owner.split(":", 1)
        if kind == "operator":
            print(
                f"cases: operator {name}: {accounts:,} accounts seen, in {cases:,} open "
                f"case(s) (target 1)"
            )
        else:
            print(
                f"cases: honest ({name}): {accounts:,} accounts seen, in {cases:,} open "
                f"case(s) (target: one each)"
            )
    print(
        f"cases: {mixed} open case(s) hold accounts of more than one operator or honest group; "
        f"{together} case(s) hold more than one honest account (target 0 and 0)"
    )
