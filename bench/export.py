#!/usr/bin/env python3
"""The audit export's benchmark (``make bench``): rows/s against COPY, and memory.

On a database of its own (``dossier_bench_export_<pid>`` on the server
``DATABASE_URL`` names) and a private Redis, it migrates and writes with
``COPY`` ``--events`` audit events of campaign shape (``bench/audit_data.py``,
a valid chain), vacuums and analyses, then measures in the same run:

- the floor: ``COPY (SELECT <the columns the export reads> ... ORDER BY
  sequence) TO STDOUT`` of the same rows through psycopg, written to a file,
  before and after the exports (their mean);
- the full CSV export as Dossier writes one of that size, a job (more rows
  than one download may hold): ``audit.export_jobs.start_job`` and ``write``,
  the worker's code (``audit.exports.stream`` into a file under
  ``EXPORT_ROOT``), in a fresh process; its rows/s over the floor's (target at
  least 0.3);
- the exporting process's peak memory (``ru_maxrss``), each export in a
  fresh process: the same job for ``--subset`` rows (a ``since``/``until`` range
  in the middle of the six weeks) and for all of them (target: within 20%).

Both files are checked last with ``scripts/verify_audit_export.py``, as an
auditor would, with the public key alone.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from harness import (
    DEFAULT_SERVER,
    PYTHON,
    ROOT,
    app_environment,
    create_database,
    drop_database,
    manage,
    private_redis,
    say,
)

DATABASE = f"dossier_bench_export_{os.getpid()}"
TARGET_RATIO = 0.3
TARGET_MEMORY = 0.2
MANAGER = "trail-manager-1"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="audit events stored")
    parser.add_argument(
        "--subset", type=int, default=100_000, help="rows of the smaller export (memory)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    # One export in this fresh process (the benchmark runs itself so): the
    # query string of the export, as the trail page sends it.
    parser.add_argument("--child", metavar="PARAMS", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.child is not None:
        child(args.child)
        return
    server_url = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    say(f"creating database {DATABASE}")
    database_url = create_database(server_url, DATABASE)
    try:
        with private_redis() as redis_url, tempfile.TemporaryDirectory() as folder:
            env = app_environment(database_url, redis_url)
            env.update(
                EXPORT_ROOT=str(Path(folder) / "exports"),
                DJANGO_SETTINGS_MODULE="dossier.settings",
            )
            say("migrating")
            manage(env, "migrate", "--noinput")
            os.environ.update(env)
            run(args, database_url, Path(folder))
    finally:
        if args.keep:
            say(f"kept database {DATABASE}")
        else:
            drop_database(server_url, DATABASE)


def run(args: argparse.Namespace, database_url: str, folder: Path) -> None:
    import django

    django.setup()
    from bench.audit_data import build

    say(f"building {args.events:,} audit events with COPY")
    started = time.perf_counter()
    with psycopg.connect(database_url) as conn:
        built = build(conn, args.events)
        conn.commit()
    build_seconds = time.perf_counter() - started
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE audit_auditevent")
        size = conn.execute("SELECT pg_total_relation_size('audit_auditevent')").fetchone()[0]
        # The smaller export: a range of times in the middle holding --subset events.
        low = built.first_sequence + max(0, (built.events - args.subset) // 2)
        high = low + min(args.subset, built.events)
        bounds = dict(
            conn.execute(
                "SELECT sequence, occurred_at FROM audit_auditevent WHERE sequence IN (%s, %s)",
                [low, high],
            ).fetchall()
        )
    subset = {"output": "csv", "since": bounds[low].isoformat()}
    if high in bounds:
        subset["until"] = bounds[high].isoformat()
    print(
        f"export: {built.events:,} audit events of {len(built.usernames)} people, the import, "
        f"enforcement and detectors, built with COPY in {build_seconds:.0f} s "
        f"({size / 2**20:,.0f} MB with indexes)"
    )
    say("measuring")
    floors = [copy_floor(database_url, built.last_sequence, folder / "floor.tsv")]
    full = export_in_child("output=csv")
    subset = export_in_child(urlencode(subset))
    floors.append(copy_floor(database_url, built.last_sequence, folder / "floor.tsv"))
    report(args, floors, full, subset)
    for label, result in (("full", full), ("subset", subset)):
        verify(label, result)


def copy_floor(database_url: str, last_sequence: int, path: Path) -> tuple[int, float]:
    """Rows and seconds of a bare COPY of the same rows and columns, to a file."""
    from audit.exports import _COLUMNS

    columns = ", ".join(
        f"{name}::text" if name in ("before", "after") else name for name in _COLUMNS
    )
    sql = (
        f"COPY (SELECT {columns} FROM audit_auditevent WHERE sequence <= {int(last_sequence)} "
        "ORDER BY sequence) TO STDOUT"
    )
    with psycopg.connect(database_url) as conn, path.open("wb") as out:
        started = time.perf_counter()
        with conn.cursor() as cursor:
            with cursor.copy(sql) as copy:
                for block in copy:
                    out.write(block)
            rows = cursor.rowcount
        out.flush()
        os.fsync(out.fileno())
        seconds = time.perf_counter() - started
    path.unlink()
    return rows, seconds


def export_in_child(params: str) -> dict:
    """One export job written by a fresh process; what it reports."""
    result = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--child", params],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the export of {params} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(params: str) -> None:
    """Write one export as the worker does, and report rows, time and peak memory."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.http import QueryDict

    from audit import export_jobs
    from audit.models import ExportJobState

    manager = get_user_model().objects.get(username=MANAGER)
    # Django and the app loaded, before the export.
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    job = export_jobs.start_job(QueryDict(params), actor=manager)
    export_jobs.write(str(job.pk))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    job.refresh_from_db()
    if job.state != ExportJobState.DONE:
        raise RuntimeError(f"the export job ended {job.state}: {job.error}")
    report = {
        "params": params,
        "rows": job.rows_written,
        "seconds": seconds,
        "bytes": job.size,
        "file": str(export_jobs.file_of(job)),
        "loaded_kb": loaded,
        "peak_kb": peak,
    }
    print(json.dumps(report))


def verify(label: str, result: dict) -> None:
    """The export checked as an auditor checks it: the shipped script, the public key."""
    from audit.exports import public_key

    started = time.perf_counter()
    checked = subprocess.run(
        [
            PYTHON,
            str(ROOT / "scripts" / "verify_audit_export.py"),
            "--file",
            result["file"],
            "--public-key",
            base64.b64encode(public_key()).decode(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    answer = (checked.stdout.strip() or checked.stderr.strip()).splitlines()
    first = answer[0] if answer else f"exit status {checked.returncode}"
    outcome = "verified" if checked.returncode == 0 else "FAILED"
    print(
        f"export: the {label} export ({result['rows']:,} rows) {outcome} with "
        f"scripts/verify_audit_export.py and the public key alone in {seconds:.0f} s: {first}"
    )
    Path(result["file"]).unlink()
    if checked.returncode != 0:
        raise SystemExit(1)


def megabytes(kilobytes: int) -> str:
    return f"{kilobytes / 1024:,.0f} MB"


def report(args, floors: list[tuple[int, float]], full: dict, subset: dict) -> None:
    floor_rates = [rows / seconds for rows, seconds in floors]
    floor = sum(floor_rates) / len(floor_rates)
    rate = full["rows"] / full["seconds"]
    ratio = rate / floor
    print(
        f"export: COPY (SELECT the export's columns ORDER BY sequence) TO STDOUT through "
        f"psycopg into a file: {floor:,.0f} rows/s ({floor_rates[0]:,.0f} before the exports, "
        f"{floor_rates[1]:,.0f} after); load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    print(
        f"export: full CSV export, {full['rows']:,} rows, {full['bytes'] / 2**20:,.0f} MB, "
        f"as a job (audit.export_jobs.write: audit.exports.stream into a file) in a fresh "
        f"process: {full['seconds']:.1f} s, {rate:,.0f} rows/s; "
        f"ratio export / COPY {ratio:.2f} (target >= {TARGET_RATIO}): "
        f"{'met' if ratio >= TARGET_RATIO else 'missed'}"
    )
    small, large = subset["peak_kb"], full["peak_kb"]
    growth = large / small - 1
    print(
        f"export: peak memory of the exporting process (ru_maxrss, a fresh process each): "
        f"{subset['rows']:,} rows {megabytes(small)}, {full['rows']:,} rows {megabytes(large)} "
        f"({megabytes(subset['loaded_kb'])} and {megabytes(full['loaded_kb'])} with Django "
        f"loaded, before the export); {growth:+.0%} (target within "
        f"{TARGET_MEMORY:.0%}): {'met' if abs(growth) <= TARGET_MEMORY else 'missed'}"
    )


if __name__ == "__main__":
    sys.exit(main())
