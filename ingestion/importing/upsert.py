"""Upsert the accounts and indicators of a set of alerts, and link them.

Set-based: one statement per table over deduplicated, sorted keys (an
``INSERT ... ON CONFLICT`` may not meet the same key twice, and two workers
locking keys in the same order cannot deadlock). A value not stored yet is
inserted already counting the accounts the batch links it to (``DO NOTHING``
takes no lock on existing rows); for stored values this module works out
which counters and seen times changed, and the caller updates those, last in
its transaction. A weak value past the common cap (a proxy ASN every batch
shares) is too common and no longer counted, so it is rewritten only when
its seen times move by more than an hour. Strong values are never too
common: breadth is what a campaign looks like (docs/alert-import.md).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from cases.models import STRONG_INDICATOR_TYPES
from ingestion.importing.prepare import AccountRow, PreparedAlert, is_strong

# Only weak types become too common (docs/alert-import.md).
STRONG_TYPES = sorted(STRONG_INDICATOR_TYPES)

_ACCOUNTS_SQL = """
INSERT INTO cases_account AS a (external_id, organization_id, email_domain, country,
                                platform_created_at, payment_fingerprint, first_seen, last_seen)
SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::timestamptz[],
                     %b::text[], %b::timestamptz[], %b::timestamptz[])
ORDER BY 1
ON CONFLICT (external_id) DO UPDATE SET
    organization_id = COALESCE(NULLIF(EXCLUDED.organization_id, ''), a.organization_id),
    email_domain = COALESCE(NULLIF(EXCLUDED.email_domain, ''), a.email_domain),
    country = COALESCE(NULLIF(EXCLUDED.country, ''), a.country),
    platform_created_at = COALESCE(EXCLUDED.platform_created_at, a.platform_created_at),
    payment_fingerprint = COALESCE(NULLIF(EXCLUDED.payment_fingerprint, ''),
                                   a.payment_fingerprint),
    first_seen = LEAST(a.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(a.last_seen, EXCLUDED.last_seen)
RETURNING external_id, id, (xmax = 0) AS inserted
"""

# The stored accounts of a batch, to upsert only those it changes: an account
# the batch tells nothing new is neither rewritten nor locked, so workers
# importing batches of one network do not wait for each other's commits on
# accounts they only name.
_STORED_ACCOUNTS_SQL = """
SELECT external_id, id, organization_id, email_domain, country, platform_created_at,
       payment_fingerprint, first_seen, last_seen
  FROM cases_account WHERE external_id = ANY(%b::text[])
"""


# A batch's account row, in ``_ACCOUNTS_SQL``'s columns after the external id
# (and ``_STORED_ACCOUNTS_SQL``'s after the id): its details, the payment
# fingerprint last, then the first and the last time it was seen.
_DETAILS, _FINGERPRINT, _FIRST_SEEN, _LAST_SEEN = slice(0, 5), 4, 5, 6


def _account_changes(row: list, stored: list) -> bool:
    """Whether ``_ACCOUNTS_SQL`` would change the stored account: a detail given
    and different, or seen times widened (``row`` is as ``upsert`` builds it)."""
    for given, had in zip(row[_DETAILS], stored[_DETAILS], strict=True):
        if given and given != had:
            return True
    return row[_FIRST_SEEN] < stored[_FIRST_SEEN] or row[_LAST_SEEN] > stored[_LAST_SEEN]


# Values already known are looked up by digest (computed here: SHA-256 of the
# UTF-8 text, as indicator_digest() does in the database) and only the others
# are inserted, so a batch of familiar values writes nothing.
# One index probe per key: as a plain join, the planner hashes the whole
# indicator table once it has a few thousand keys, a cost that grows with the
# table rather than the batch. LIMIT 1 keeps the subquery a per-key lookup.
# Each row comes back with its position in the arrays, whether the value is
# too common, and whether the batch moves its first or last seen by more than
# an hour (only then are they rewritten: a value named in every batch is not
# rewritten by every batch).
_INDICATOR_IDS_SQL = """
SELECT v.n, i.id, i.is_too_common,
       v.f < i.first_seen - interval '1 hour' OR v.l > i.last_seen + interval '1 hour'
  FROM unnest(%b::text[], %b::bytea[], %b::timestamptz[], %b::timestamptz[])
       WITH ORDINALITY AS v(type, digest, f, l, n)
 CROSS JOIN LATERAL (
       SELECT id, is_too_common, first_seen, last_seen FROM cases_indicator
        WHERE type = v.type AND value_digest = v.digest
        LIMIT 1) AS i
"""

# A new value is inserted already counted: every account this batch links it
# to is a new link, so its row is written once, not inserted and then updated.
# A strong value is never too common, however many accounts it has.
_INDICATORS_SQL = """
INSERT INTO cases_indicator (type, value, first_seen, last_seen, account_count, is_too_common)
SELECT type, value, f, l, n, n > %b AND type <> ALL(%b::text[])
  FROM unnest(%b::text[], %b::text[], %b::timestamptz[], %b::timestamptz[], %b::int[])
       AS v(type, value, f, l, n)
ORDER BY 1, 2
ON CONFLICT (type, value_digest) DO NOTHING
RETURNING type, value, id
"""

# Links of accounts this transaction created cannot exist yet, and no other
# worker can see those accounts before it commits: they are copied in without
# a conflict check (COPY writes many rows per page and WAL record).
_NEW_LINKS_COPY = (
    "COPY cases_accountindicator (account_id, indicator_id, first_seen, last_seen)"
    " FROM STDIN (FORMAT BINARY)"
)
_NEW_LINKS_TYPES = ("int8", "int8", "timestamptz", "timestamptz")

# Links of accounts seen before. (xmax = 0) tells a freshly inserted row from
# an updated one. Seen times move by at least an hour, so links seen again and
# again are not rewritten each time.
_LINKS_SQL = """
INSERT INTO cases_accountindicator AS l (account_id, indicator_id, first_seen, last_seen)
SELECT * FROM unnest(%b::bigint[], %b::bigint[], %b::timestamptz[], %b::timestamptz[])
ORDER BY 1, 2
ON CONFLICT (account_id, indicator_id) DO UPDATE SET
    first_seen = LEAST(l.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(l.last_seen, EXCLUDED.last_seen)
WHERE EXCLUDED.last_seen > l.last_seen + interval '1 hour'
   OR EXCLUDED.first_seen < l.first_seen - interval '1 hour'
RETURNING indicator_id, (xmax = 0) AS inserted
"""


@dataclass
class Upserted:
    accounts: int = 0
    indicators: int = 0
    links: int = 0
    # indicator id -> (new account links, first seen, last seen)
    indicator_stats: dict[int, list] = field(default_factory=dict)


def _widen(spans: dict, key, first: datetime, last: datetime) -> None:
    span = spans.get(key)
    if span is None:
        spans[key] = [first, last]
        return
    if first < span[0]:
        span[0] = first
    if last > span[1]:
        span[1] = last


def _own_values(ref: AccountRow) -> list[tuple[str, str]]:
    """The account's own indicators: docs/alerts-api.md records its payment
    fingerprint and email domain as indicators of the account."""
    own = []
    if ref.payment_fingerprint:
        own.append(("payment_fingerprint", ref.payment_fingerprint))
    if ref.email_domain:
        own.append(("email_domain", ref.email_domain))
    return own


def _linked_values(alert: PreparedAlert, max_links_per_alert: int) -> list[list[tuple[str, str]]]:
    """For each account of the alert, the (type, value) keys it is linked to: its
    own values and the alert's indicators."""
    # Beyond the cap an alert's indicators stay on the alert only: one alert
    # naming 1,000 accounts and 5,000 values must not add 5M links.
    pairs_allowed = len(alert.accounts) * len(alert.indicators) <= max_links_per_alert
    shared = [(kind, value) for kind, value, _, _ in alert.indicators] if pairs_allowed else []
    return [_own_values(ref) + shared for ref in alert.accounts]


def upsert(
    cursor, alerts: list[PreparedAlert], *, max_links_per_alert: int, common_cap: int
) -> Upserted:
    """Upsert and link the alerts' accounts and indicators; fills each alert's ids."""
    result = Upserted()
    if not alerts:
        return result

    # Accounts: one row per external id; later alerts fill in what earlier ones left out.
    accounts: dict[str, list] = {}
    for alert in sorted(alerts, key=lambda a: a.observed_at):
        for ref in alert.accounts:
            row = accounts.get(ref.external_id)
            if row is None:
                accounts[ref.external_id] = [
                    ref.organization_id,
                    ref.email_domain,
                    ref.country,
                    ref.created_at,
                    ref.payment_fingerprint,
                    alert.observed_at,
                    alert.observed_at,
                ]
                continue
            for index, value in enumerate(
                (ref.organization_id, ref.email_domain, ref.country, ref.created_at)
            ):
                if value:
                    row[index] = value
            if ref.payment_fingerprint:
                row[_FINGERPRINT] = ref.payment_fingerprint
            row[_FIRST_SEEN] = min(row[_FIRST_SEEN], alert.observed_at)
            row[_LAST_SEEN] = max(row[_LAST_SEEN], alert.observed_at)

    # Indicators: the alert's own, plus each account's own values; and which
    # accounts each value is linked to, to count a new value's accounts.
    spans: dict[tuple[str, str], list] = {}
    linked: list[list[list[tuple[str, str]]]] = []
    linked_accounts: dict[tuple[str, str], set[str]] = {}
    for alert in alerts:
        for kind, value, first, last in alert.indicators:
            _widen(spans, (kind, value), first, last)
        seen_at = alert.observed_at
        for ref in alert.accounts:
            for key in _own_values(ref):
                _widen(spans, key, seen_at, seen_at)
        per_account = _linked_values(alert, max_links_per_alert)
        linked.append(per_account)
        for ref, values in zip(alert.accounts, per_account, strict=True):
            for key in values:
                linked_accounts.setdefault(key, set()).add(ref.external_id)
    counts = {key: len(accounts) for key, accounts in linked_accounts.items()}
    indicator_ids, known = _indicator_ids(cursor, spans, counts, common_cap) if spans else ({}, {})
    result.indicators = len(indicator_ids)

    # Upserted after the indicators, just before the links that need their
    # ids: another worker upserting the same accounts waits for this
    # transaction's commit, and the wait is shorter from here.
    account_ids: dict[str, int] = {}
    created: set[int] = set()
    if accounts:
        cursor.execute(_STORED_ACCOUNTS_SQL, [sorted(accounts)])
        for external_id, pk, *stored in cursor.fetchall():
            if not _account_changes(accounts[external_id], stored):
                account_ids[external_id] = pk
        keys = sorted(key for key in accounts if key not in account_ids)
        if keys:
            columns = list(zip(*(accounts[k] for k in keys), strict=True))
            cursor.execute(_ACCOUNTS_SQL, [keys, *map(list, columns)])
            for external_id, pk, inserted in cursor.fetchall():
                account_ids[external_id] = pk
                if inserted:
                    created.add(pk)
    result.accounts = len(account_ids)

    # Links, and what each alert refers to (ids for correlation).
    links: dict[tuple[int, int], list] = {}
    for alert, per_account in zip(alerts, linked, strict=True):
        alert.account_ids = [account_ids[ref.external_id] for ref in alert.accounts]
        alert.indicator_ids = []
        alert.strong = []
        seen: set[int] = set()
        for kind, value, _first, _last in alert.indicators:
            pk = indicator_ids[(kind, value)]
            alert.indicator_ids.append(pk)
            if is_strong(kind) and pk not in seen:
                seen.add(pk)
                owner = alert.accounts[0].external_id if alert.accounts else ""
                alert.strong.append((pk, kind, value, owner))
        seen_at = alert.observed_at
        for ref, account_id, values in zip(
            alert.accounts, alert.account_ids, per_account, strict=True
        ):
            if ref.payment_fingerprint:
                pk = indicator_ids[("payment_fingerprint", ref.payment_fingerprint)]
                if pk not in seen:
                    seen.add(pk)
                    alert.strong.append(
                        (pk, "payment_fingerprint", ref.payment_fingerprint, ref.external_id)
                    )
            for key in values:
                pk = indicator_ids[key]
                span = links.get((account_id, pk))
                if span is None:
                    links[(account_id, pk)] = [seen_at, seen_at]
                elif seen_at < span[0]:
                    span[0] = seen_at
                elif seen_at > span[1]:
                    span[1] = seen_at

    new_links = _write_links(cursor, links, created)
    result.links = sum(new_links.values())

    for key, pk in indicator_ids.items():
        first, last = spans[key]
        added = new_links.get(pk, 0)
        stored = known.get(pk)
        if stored is None:  # inserted by this statement, counted and with these times
            continue
        too_common, seen_moved = stored
        if too_common:
            added = 0
        if added or seen_moved:
            result.indicator_stats[pk] = [added, first, last]
    return result


def _write_links(cursor, links: dict[tuple[int, int], list], created: set[int]) -> Counter:
    """Insert or widen the links; returns how many new links each indicator got."""
    new_links: Counter = Counter()
    fresh = [key for key in links if key[0] in created]
    if fresh:
        with cursor.copy(_NEW_LINKS_COPY) as copy:
            copy.set_types(_NEW_LINKS_TYPES)
            for key in fresh:
                copy.write_row((*key, *links[key]))
        new_links.update(indicator_id for _, indicator_id in fresh)
    seen_before = sorted(key for key in links if key[0] not in created)
    if seen_before:
        spans = [links[key] for key in seen_before]
        cursor.execute(
            _LINKS_SQL,
            [
                [a for a, _ in seen_before],
                [i for _, i in seen_before],
                [first for first, _ in spans],
                [last for _, last in spans],
            ],
        )
        new_links.update(pk for pk, inserted in cursor.fetchall() if inserted)
    return new_links


def _indicator_ids(
    cursor, spans: dict[tuple[str, str], list], counts: dict, common_cap: int
) -> tuple[dict[tuple[str, str], int], dict[int, tuple]]:
    """Ids of the values, and (too common, seen times moved) of those stored before.

    Values not stored yet are inserted with ``counts`` (accounts this batch links
    them to); one another worker inserted meanwhile is looked up and counted
    like a stored one."""
    known: dict[int, tuple] = {}
    ids = _lookup(cursor, spans, sorted(spans), known)
    missing = sorted(key for key in spans if key not in ids)
    if missing:
        cursor.execute(
            _INDICATORS_SQL,
            [
                common_cap,
                STRONG_TYPES,
                [k for k, _ in missing],
                [v for _, v in missing],
                [spans[key][0] for key in missing],
                [spans[key][1] for key in missing],
                [counts.get(key, 0) for key in missing],
            ],
        )
        ids.update(((kind, value), pk) for kind, value, pk in cursor.fetchall())
        # Inserted meanwhile by another worker (DO NOTHING waited for its
        # commit): visible to the next statement.
        late = [key for key in missing if key not in ids]
        if late:
            ids.update(_lookup(cursor, spans, late, known))
    return ids, known


def _lookup(cursor, spans: dict, keys: list[tuple[str, str]], known: dict) -> dict:
    cursor.execute(
        _INDICATOR_IDS_SQL,
        [
            [k for k, _ in keys],
            [hashlib.sha256(v.encode("utf-8")).digest() for _, v in keys],
            [spans[key][0] for key in keys],
            [spans[key][1] for key in keys],
        ],
    )
    ids = {}
    for position, pk, too_common, seen_moved in cursor.fetchall():
        ids[keys[position - 1]] = pk
        known[pk] = (too_common, seen_moved)
    return ids
