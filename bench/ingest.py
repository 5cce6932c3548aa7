#!/usr/bin/env python3
"""Alert ingestion benchmark (``make bench``).

``--accept-only`` measures ``POST /api/v1/alerts/`` up to the 202: it creates
a database of its own (``dossier_bench``) on the PostgreSQL server that
``DATABASE_URL`` names, migrates it, starts a private Redis (broker) and
gunicorn with as many workers as cores on free ports, creates a detector
without a rate limit, and posts N alerts of a workload (``--workload``:
``campaign`` by default, or ``uniform``; bench/README.md describes both: 1-5
accounts and 2-8 indicators each, about 10% resends) in batches from several
client threads. In the same run it measures the floor: a bare psycopg ``COPY`` of
the same raw alert JSON into an unindexed table. It prints the accept rate
and its ratio to the floor (into a text column, and into jsonb as the
alerts table stores it).

Its steps live in ``bench/harness.py``, shared with the end-to-end figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from harness import (
    BENCH_DATABASE,
    DEFAULT_SERVER,
    DEFAULT_WORKLOAD,
    FLOOR_KINDS,
    WORKLOAD_CHOICES,
    app_environment,
    cpu_seconds,
    create_database,
    database_pids,
    drop_database,
    make_bodies,
    make_workload,
    manage,
    measure_floor,
    post_bodies,
    private_redis,
    say,
    server_pids,
    start_server,
    stored_alerts,
    warm_up,
)
from import_bench import end_to_end

# --- main -----------------------------------------------------------------


def accept_only(args: argparse.Namespace) -> None:
    server_url = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    cores = os.cpu_count() or 1
    workers = args.workers or cores
    load_before = os.getloadavg()[0]
    say(f"creating database {BENCH_DATABASE}")
    database_url = create_database(server_url)
    try:
        with private_redis() as redis_url:
            env = app_environment(database_url, redis_url)
            say("migrating")
            manage(env, "migrate", "--noinput")
            token = manage(env, "detectors", "create", "bench", "--rate", "0")
            say(f"making {args.n} alerts ({args.workload} workload)")
            alerts = make_workload(args.workload, args.n, largest=args.largest).alerts
            bodies = make_bodies(alerts, args.batch)
            say("measuring the floor (COPY of the raw JSON)")
            floors = {kind: [measure_floor(database_url, alerts, kind)] for kind in FLOOR_KINDS}
            with start_server(env, workers, args.server_threads) as base_url:
                warm_up(base_url, token, args.threads)
                say(f"posting {len(bodies)} requests from {args.threads} threads")
                processes = {
                    "server": server_pids(base_url),
                    "database": database_pids(database_url),
                }
                cpu_before = {name: cpu_seconds(pids) for name, pids in processes.items()}
                client_before = time.process_time()
                result = post_bodies(base_url, token, bodies, args.threads)
                cpu = {
                    name: cpu_seconds(pids) - cpu_before[name] for name, pids in processes.items()
                }
                cpu["client"] = time.process_time() - client_before
            # Measured before and after: the machine's load may change meanwhile.
            for kind in FLOOR_KINDS:
                floors[kind].append(measure_floor(database_url, alerts, kind))
            stored = stored_alerts(database_url)
    finally:
        if not args.keep:
            drop_database(server_url)
    rate = result.alerts / result.seconds
    print(
        f"accept: {result.alerts} alerts ({result.accepted} new, {result.duplicates} duplicates) "
        f"in {result.requests} requests of {args.batch} in {result.seconds:.2f} s = {rate:,.0f} alerts/s "
        f"(gunicorn {workers} workers x {args.server_threads} threads, {args.threads} client threads, {cores} cores)"
    )
    print(
        "cpu: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cpu.items())
        + f" over {result.seconds:.1f} s of wall time"
    )
    print(
        f"load: 1-minute load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"(other work on the machine lowers both figures)"
    )
    for kind in FLOOR_KINDS:
        floor = sum(floors[kind]) / len(floors[kind])
        print(
            f"floor ({kind}): psycopg COPY of the same raw JSON into an unindexed {kind} table "
            f"= {floor:,.0f} rows/s; ratio accept / floor = {rate / floor:.3f}"
        )
    expected_new = len({a["external_id"] for a in alerts})
    if result.accepted != expected_new or stored != expected_new:
        print(
            f"check: FAILED: {result.accepted} accepted, {expected_new} distinct ids, {stored} stored"
        )
        sys.exit(1)
    print(f"check: every distinct alert stored once ({expected_new} new; warm-up alerts excluded)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accept-only", action="store_true", help="measure the API up to the 202")
    parser.add_argument("--n", type=int, default=200_000, help="alerts to post (default 200000)")
    parser.add_argument("--batch", type=int, default=500, help="alerts per request (default 500)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: cores)")
    parser.add_argument(
        "--server-threads", type=int, default=2, help="threads per gunicorn worker (default 2)"
    )
    parser.add_argument(
        "--workload",
        choices=WORKLOAD_CHOICES,
        default=DEFAULT_WORKLOAD,
        help=f"the alerts to post, described in bench/README.md (default {DEFAULT_WORKLOAD})",
    )
    parser.add_argument(
        "--largest",
        type=int,
        default=25_000,
        help="accounts of the campaign workload's largest operator (default 25000)",
    )
    parser.add_argument(
        "--sample-ms",
        type=int,
        default=20,
        help="how often the import processes' waits are sampled, in ms (default 20)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument(
        "--naive",
        type=int,
        default=5000,
        help="alerts in the naive baseline's sample (default 5000)",
    )
    args = parser.parse_args()
    if args.accept_only:
        accept_only(args)
    else:
        # Default: end to end, from the POST to the alert in a case (bench/import_bench.py).
        end_to_end(args)


if __name__ == "__main__":
    main()
