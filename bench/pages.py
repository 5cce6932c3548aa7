#!/usr/bin/env python3
"""The case page's benchmark (``make bench``): server time at campaign size.

On a database of its own (``dossier_bench_pages_<pid>`` on the server
``DATABASE_URL`` names) and a private Redis, it migrates, builds with ``COPY``
the campaign-shaped data of ``bench/page_data/`` (a case holding a 25,000-account
network among 13,000 other cases that share its values, beside a 5-account
case), vacuums and analyses, then requests as a lead, through Django's test
client in this process (production settings, ``DEBUG`` off), for each case:
the case page, and each panel's first page and a deep page (reached by
following its "Next" links ``--depth`` times, or to its last page). Each URL is
requested once to warm up, then ``--repeat`` times, in turn with the other
case's same URL (so both meet the shared machine's same moments); it prints p50 and p95 of
the server time (the test client's round trip, no network), the ratio
big/small of the p95s and the number of queries of each (counted with
``CaptureQueriesContext``) with their time in the database, and the
slowest query of each URL that misses its target. Targets: p95 under 200 ms
for the big case, ratio at most 1.5, the same number of queries for both.
Then the same figures for the audit trail (as a manager) and the approvals
queue, which the campaign's imports and actions fill too.

A request slower than ``--timeout`` seconds is cut off (``statement_timeout``
in the database, an alarm in Python) and shown as such; ``--scale 0.1``
builds a tenth of every size but the small case's.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import signal
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from harness import (
    DEFAULT_SERVER,
    app_environment,
    create_database,
    drop_database,
    manage,
    private_redis,
    say,
)

DATABASE = f"dossier_bench_pages_{os.getpid()}"
NEXT_LINK = re.compile(
    r'<a\b[^>]*\bhref="([^"]+)"[^>]*\brel="next"|<a\b[^>]*\brel="next"[^>]*\bhref="([^"]+)"'
)
TARGET_P95_MS = 200
TARGET_RATIO = 1.5
SLOWEST_SHOWN = 5
OTHER_PAGES = (
    ("manager", "audit trail", "/audit/"),
    ("lead", "approvals queue", "/actions/approvals/"),
)


class TimedOut(Exception):
    pass


@dataclass
class Timing:
    label: str
    url: str = ""
    samples: list[float] = field(default_factory=list)
    queries: int | None = None
    # The warm-up's time in the database (ms), and its slowest query (ms, text).
    database: float | None = None
    slowest: tuple[float, str] = (0.0, "")
    failure: str = ""

    def percentile(self, share: float) -> float | None:
        """Nearest-rank percentile, in milliseconds."""
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
        return ordered[min(rank, len(ordered)) - 1] * 1000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="times every size (default 1)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per URL")
    parser.add_argument("--depth", type=int, default=30, help="pages deep for a deep page")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a request is cut")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    # Static files are found by the finders; collectstatic's folder need not exist.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    server_url = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    say(f"creating database {DATABASE}")
    database_url = create_database(server_url, DATABASE)
    try:
        with private_redis() as redis_url:
            env = app_environment(database_url, redis_url)
            # The test client's host; the statement timeout cuts a runaway query.
            env["ALLOWED_HOSTS"] += ",testserver"
            env["PGOPTIONS"] = f"-c statement_timeout={int(args.timeout * 1000)}"
            say("migrating")
            manage(env, "migrate", "--noinput")
            os.environ.update(env)
            os.environ["DJANGO_SETTINGS_MODULE"] = "dossier.settings"
            run(args, database_url)
    finally:
        if args.keep:
            say(f"kept database {DATABASE}")
        else:
            drop_database(server_url, DATABASE)


# Django is set up only once the benchmark's database exists, so the app's
# modules (the data builder's included) are imported from here on, not at the top.
def run(args: argparse.Namespace, database_url: str) -> None:
    import django

    django.setup()
    from bench.page_data import Sizes, build

    sizes = Sizes().scaled(args.scale)
    say(f"building the campaign's data with COPY ({sizes})")
    started = time.perf_counter()
    with psycopg.connect(database_url) as conn:
        built = build(conn, sizes)
        conn.commit()
    build_seconds = time.perf_counter() - started
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"built in {build_seconds:.0f} s; measuring")
    measured = measure(args, built)
    report(args, sizes, built, build_seconds, measured)


def panel_names(case_id: int) -> list[str]:
    """The case page's panels that have a URL of their own, in the page's order."""
    from django.urls import NoReverseMatch, reverse

    try:
        from cases.views.panels import PANEL_NAMES
    except ImportError:
        return []
    names = []
    for name in PANEL_NAMES:
        try:
            reverse("cases:panel", args=[case_id, name])
        except NoReverseMatch:
            continue
        names.append(name)
    return names


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    def expire(signum, frame):
        raise TimedOut(f"over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fetch(client, url: str, timeout: float):
    with alarm(timeout):
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return response


def deep_url(client, url: str, depth: int, timeout: float) -> tuple[str, int]:
    """The page ``depth`` "Next" links after ``url`` (or the last), and how deep it is."""
    pages = 0
    while pages < depth:
        match = NEXT_LINK.search(fetch(client, url, timeout).content.decode())
        if match is None:
            break
        url = html.unescape(match.group(1) or match.group(2))
        pages += 1
    return url, pages + 1


def warm_up(client, timing: Timing, timeout: float) -> None:
    """The first request: the queries are counted here, and the slowest kept."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        fetch(client, timing.url, timeout)
    times = [float(query["time"]) * 1000 for query in queries.captured_queries]
    timing.queries = len(times)
    timing.database = sum(times)
    if times:
        slowest = max(range(len(times)), key=times.__getitem__)
        timing.slowest = (times[slowest], queries.captured_queries[slowest]["sql"])


def time_in_turn(client, timings: tuple[Timing, ...], repeat: int, timeout: float) -> None:
    """Both cases' URL, requested in turn, so both meet the machine's same moments."""
    from django.db import DatabaseError

    live = [timing for timing in timings if not timing.failure]
    try:
        for timing in live:
            warm_up(client, timing, timeout)
        for _ in range(repeat):
            for timing in live:
                started = time.perf_counter()
                fetch(client, timing.url, timeout)
                timing.samples.append(time.perf_counter() - started)
    except (TimedOut, RuntimeError, DatabaseError) as exc:
        for timing in live:
            timing.failure = timing.failure or str(exc).splitlines()[0][:80]


def urls(client, case_id: int, args: argparse.Namespace) -> list[Timing]:
    """The case page, then each panel's first and deep page, not yet timed."""
    timings = [Timing("case page", f"/cases/{case_id}/")]
    for name in panel_names(case_id):
        first = f"/cases/{case_id}/panels/{name}/"
        timings.append(Timing(f"{name}, first page", first))
        try:
            deep, page = deep_url(client, first, args.depth, args.timeout)
        except (TimedOut, RuntimeError) as exc:
            timings.append(Timing(f"{name}, deep page", failure=str(exc)))
            continue
        timings.append(Timing(f"{name}, deep page ({page})", deep))
    return timings


def measure(args: argparse.Namespace, built) -> dict[str, list[Timing]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    clients = {}
    for role in ("lead", "manager"):
        clients[role] = Client(raise_request_exception=True)
        clients[role].force_login(get_user_model().objects.get(pk=built.people[role][0]))
    client = clients["lead"]
    measured = {
        "big": urls(client, built.big_case, args),
        "small": urls(client, built.small_case, args),
    }
    say("pages found; timing")
    for pair in zip(measured["big"], measured["small"], strict=True):
        time_in_turn(client, pair, args.repeat, args.timeout)
    # The lists that grow with the campaign but are not the case's.
    measured["other"] = []
    for role, label, url in OTHER_PAGES:
        timing = Timing(f"{label} ({role})", url)
        time_in_turn(clients[role], (timing,), args.repeat, args.timeout)
        measured["other"].append(timing)
    return measured


def cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def report(args, sizes, built, build_seconds: float, measured: dict[str, list[Timing]]) -> None:
    rows = built.rows
    print(
        f"pages: {sizes.accounts:,} accounts, {sizes.indicators:,} indicators, "
        f"{sizes.alerts:,} alerts, {sizes.timeline:,} timeline entries in the big case; "
        f"{sizes.small_accounts} accounts in the small one; {rows['cases_case']:,} cases, "
        f"{rows['cases_account']:,} accounts, {rows['cases_accountindicator']:,} "
        f"account-value links, {rows['ingestion_alert']:,} alerts, "
        f"{rows['audit_auditevent']:,} audit events (built in {build_seconds:.0f} s)"
    )
    print(
        f"pages: server time in ms through Django's test client in process, as a lead, "
        f"{args.repeat} requests per URL after one warm-up; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    header = f"{'':<28}{'big p50':>9}{'p95':>7}{'queries':>9}{'in db':>7}   {'small p50':>9}"
    print(header + f"{'p95':>7}{'queries':>9}{'in db':>7}   {'p95 ratio':>9}  targets")
    failures = 0
    slow: list[Timing] = []
    for big, small in zip(measured["big"], measured["small"], strict=True):
        big95, small95 = big.percentile(0.95), small.percentile(0.95)
        ratio = big95 / small95 if big95 is not None and small95 else None
        missed = []
        if big95 is None or big95 >= TARGET_P95_MS:
            missed.append("p95")
        if ratio is None or ratio > TARGET_RATIO:
            missed.append("ratio")
        if big.queries is None or big.queries != small.queries:
            missed.append("queries")
        failures += bool(missed)
        if "p95" in missed:
            slow.append(big)
        print(
            f"{big.label:<28}{cell(big.percentile(0.5)):>9}{cell(big95):>7}"
            f"{cell(big.queries):>9}{cell(big.database):>7}   "
            f"{cell(small.percentile(0.5)):>9}{cell(small95):>7}"
            f"{cell(small.queries):>9}{cell(small.database):>7}   {'—' if ratio is None else f'{ratio:.2f}':>9}  "
            f"{'met' if not missed else 'missed: ' + ', '.join(missed)}"
        )
        for timing in (big, small):
            if timing.failure:
                print(
                    f"{'':<4}{timing.label} of the {'big' if timing is big else 'small'} case: "
                    f"{timing.failure}"
                )
    # Where the big case's slow URLs spend most: their slowest query each, worst first.
    shown: set[str] = set()
    for timing in sorted(slow, key=lambda t: -t.slowest[0])[:SLOWEST_SHOWN]:
        milliseconds, sql = timing.slowest
        if sql and sql not in shown:
            shown.add(sql)
            # The FROM onwards says which tables and conditions; the column list does not.
            tail = sql[sql.find(" FROM ") :] if " FROM " in sql else sql
            print(f"pages: slowest query of {timing.label} ({milliseconds:.0f} ms): …{tail[:240]}")
    if len(measured["big"]) == 1:
        print("pages: this Dossier's case page has no panel URLs (cases:panel); the page alone")
    print(
        f"pages: targets p95 < {TARGET_P95_MS} ms (big case), ratio <= {TARGET_RATIO}, "
        f"the same query count: {len(measured['big']) - failures} of {len(measured['big'])} met"
    )
    for timing in measured["other"]:
        print(
            f"pages: {timing.label}: p50 {cell(timing.percentile(0.5))} ms, "
            f"p95 {cell(timing.percentile(0.95))} ms, {cell(timing.queries)} queries"
            + (f" ({timing.failure})" if timing.failure else "")
        )


if __name__ == "__main__":
    sys.exit(main())
