"""A database of campaign shape for the case page: one case holding a whole network.

``build(conn, Sizes())`` writes, with ``COPY`` on a psycopg connection and in
the caller's transaction (it never commits), what six weeks of detector
traffic and a team's work leave behind when one operator network has been
correlated into one case:

- **the big case**: ``accounts`` platform accounts (fresh, one payment
  fingerprint per ~150 of them, three prompt clusters, some device
  fingerprints, a few protected, a tenth suspended), ``indicators`` distinct
  values over them (mostly residential-proxy IPs, with their ASNs, browser user
  agents and free-mail domains), ``alerts`` alerts with their evidence (and a
  sample per 50 alerts), and ``timeline`` timeline entries: notes and audit
  events (the imports of its batches, the team's steps, reads), plus three
  actions (one executed on a tenth of the accounts, one awaiting a second
  approval over all of them, one rejected), review flags and related cases;
- **a small case** of ``small_accounts`` accounts worked the same way, whose
  weak values are the campaign's proxies too;
- **``other_cases`` other cases** that share the big case's values: five other
  operators of decreasing size (a quarter of the last, as the ingest
  benchmark's ``campaign`` workload), two of them related to the big case by a
  payment fingerprint, and honest users behind the same proxy IPs, ASNs and user
  agents, one to three accounts each;
- the detectors, the batches their alerts came in (one ``batch.imported``
  event each, naming every case the batch touched and what it brought each,
  as the import writes it), and the people: six
  investigators, three leads, a manager, and one person of each escalation
  level (usernames ``campaign-<role>-<n>``; ``password`` is stored as given,
  unusable unless a hash is passed).

The audit trail stays a valid chain (``manage.py audit verify`` passes): the
events are appended after the current head, under the chain's lock, hashed
as ``audit.events`` hashes them. Counters the import keeps (case counts,
indicator account counts, capped for weak values) are written to match the
rows. The same seed gives the same database.

The caller needs Django set up (the audit chain's lock key and the roles come
from the app); ``bench/pages.py`` uses it at full size, a browser test may use
it with smaller ``Sizes``.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import psycopg

from bench.page_data.activity import Activity
from bench.page_data.model import BATCH_SIZE, CAMPAIGN_DAYS, Built, Sizes
from bench.page_data.network import Network
from bench.page_data.rows import Ids, Tables, chain_rows

__all__ = ["Built", "Sizes", "build"]


def build(conn: psycopg.Connection, sizes: Sizes, *, password: str = "!") -> Built:
    """Write the campaign's database (see the module's docstring); returns what it made."""
    return Builder(conn, sizes, password).run()


class Builder(Network, Activity):
    """The state the steps share: the rows to copy, the values, accounts and events so far."""

    def __init__(self, conn: psycopg.Connection, sizes: Sizes, password: str) -> None:
        self.conn = conn
        self.sizes = sizes
        self.password = password
        self.rng = random.Random(sizes.seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.start = self.now - timedelta(days=CAMPAIGN_DAYS)
        self.tables = Tables()
        self.ids = Ids(conn)
        self.indicators: dict[tuple[str, str], int] = {}
        self.indicator_accounts: Counter = Counter()
        # (external id, created, payment fingerprint, email domain, values) per account.
        self.accounts: list[tuple] = []
        self.events: list[dict] = []

    def moment(self, fraction: float) -> datetime:
        """A time ``fraction`` of the way through the campaign."""
        return self.start + (self.now - timedelta(hours=1) - self.start) * fraction

    def indicator(self, type_: str, value: str) -> int:
        key = (type_, value)
        if key not in self.indicators:
            self.indicators[key] = len(self.indicators)
        return self.indicators[key]

    def run(self) -> Built:
        sizes = self.sizes
        self.make_people()
        self.make_detectors()
        self.pools = self.make_pools()
        big = self.make_big_case()
        small = self.make_small_case()
        others = self.make_other_cases(big)
        cases = [big, small, *others]
        self.write_cases(cases)
        self.write_indicators()
        self.write_alerts(cases)
        self.write_work(big, notes=sizes.timeline // 5, steps=self.steps_for(sizes.timeline))
        self.write_work(small, notes=sizes.small_accounts, steps=2 * sizes.small_accounts)
        self.write_actions(big, small)
        self.write_relations(big, others)
        self.write_events()
        self.write_case_rows()
        rows = self.tables.copy(self.conn)
        for table in self.tables.columns:
            self.conn.execute(f"ANALYZE {table}")
        return Built(big.id, small.id, self.people, self.usernames, rows)

    def steps_for(self, timeline: int) -> int:
        # Notes and their note.added events take two fifths; the imports about
        # one event per batch; the team's steps the rest.
        imports = self.sizes.alerts * 1.6 // BATCH_SIZE
        return max(0, int(timeline - 2 * (timeline // 5) - imports))

    def write_events(self) -> None:
        self.events.sort(key=lambda event: event["occurred_at"])
        chain_rows(self.conn, self.tables, self.ids, self.events)
        last = defaultdict(lambda: self.start)
        for event in self.events:
            for case_id in event["case_ids"]:
                last[case_id] = max(last[case_id], event["occurred_at"])
        self.last_activity = last
