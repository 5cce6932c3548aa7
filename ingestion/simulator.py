"""Detector traffic, as detectors would report it (docs/alerts-api.md).

Pure functions of a seed, standard library only: the same seed gives the same
alerts (and the same external ids, so posting them twice only produces
duplicates). Used by ``manage.py simulate_detectors``, by tests and by the
benchmark (``bench/``), which all share these generators. Three workloads,
described in bench/README.md:

* ``campaign`` (``campaign()``): operator networks at the size real campaigns
  have, with honest users behind the same proxies; the default.
* ``uniform`` (``uniform()``): independent random alerts, each with one of 500
  campaign hints; the benchmark's workload before ``campaign``.
* ``demo`` (``scenario()``): three small operators and one heavy user, for a
  demo database and the correlation tests.

The demo scenario: a few fictional operators, each a cluster of freshly created
accounts paying with a couple of shared cards, sending templated
reasoning-elicitation prompts through a residential proxy network, plus one
legitimate heavy user who happens to sit behind the same proxy ASN, range and
user agent. Correlation must put each operator in one case and keep the heavy
user apart: the weak indicators they share must not join anything.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# Weak indicators everyone in the scenario shares (a residential proxy network
# and the most common browser); they must never join cases on their own.
PROXY_ASN = "AS64512"
PROXY_CIDR = "198.51.100.0/24"
COMMON_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

OPERATOR_NAMES = ("Lanternfish", "Copperhead", "Marigold", "Quillwort", "Basalt", "Tamarind")

PROMPT_TEMPLATES = (
    "You are a senior {field} analyst. Deliver data-driven insights grounded in real data, "
    "with complete and transparent reasoning for every step. Question: {question} "
    "Write out your full chain of thought before the final answer.",
    "Solve the following {field} problem. Think step by step, number every step, and "
    "explain why each step follows from the previous one: {question}",
    "Act as an expert tutor in {field}. Before answering, reason aloud in detail, list every "
    "assumption and verify it, then give the answer. Task: {question}",
)
FIELDS = ("statistics", "organic chemistry", "contract law", "number theory", "pharmacology")
QUESTIONS = (
    "estimate the effect size from the attached trial summary",
    "derive the closed form of the recurrence a(n) = 3a(n-1) - 2a(n-2)",
    "which clauses of the lease are unenforceable and why",
    "predict the major product of the given reaction sequence",
    "compute the dosage adjustment for impaired renal clearance",
)


@dataclass
class Operator:
    """One fictional distillation operator and the accounts it controls."""

    name: str
    slug: str
    accounts: list[dict]
    payment_fingerprints: list[str]
    device_fingerprints: list[str]
    api_key_prefixes: list[str]
    prompt_cluster: str
    ips: list[str]
    campaign: str = ""
    alerts: list[dict] = field(default_factory=list)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def make_operator(rng: random.Random, index: int, seed: int, now: datetime) -> Operator:
    name = OPERATOR_NAMES[index % len(OPERATOR_NAMES)]
    slug = f"{name.lower()}-{seed}"
    cards = [f"pf_{_hex(rng, 4)}{index}" for _ in range(2)]
    domain = f"{name.lower()}-mail{index}.example"
    accounts = []
    for number in range(rng.randint(6, 10)):
        created = now - timedelta(days=rng.randint(3, 20), minutes=rng.randint(0, 1440))
        accounts.append(
            {
                "external_id": f"acct_{_hex(rng, 6)}",
                "email_domain": domain,
                "created_at": _ts(created),
                "country": rng.choice(("SG", "VN", "ID", "MY", "PH")),
                # Several fresh accounts share each card: the strong tie.
                "payment_fingerprint": cards[number % len(cards)],
            }
        )
    ips = [f"198.51.100.{rng.randint(2, 250)}" for _ in range(3)]
    return Operator(
        name=name,
        slug=slug,
        accounts=accounts,
        payment_fingerprints=cards,
        device_fingerprints=[f"dfp_{_hex(rng, 12)}" for _ in range(2)],
        api_key_prefixes=[f"sk-{_hex(rng, 8)}" for _ in range(2)],
        prompt_cluster=f"pc-{rng.randint(1000, 9999)}{index}",
        ips=ips,
    )


def _proxy_indicators(ips: list[str]) -> list[dict]:
    return [
        {"type": "asn", "value": PROXY_ASN},
        {"type": "cidr", "value": PROXY_CIDR},
        {"type": "user_agent", "value": COMMON_USER_AGENT},
        *({"type": "ip", "value": ip} for ip in ips),
    ]


def _samples(rng: random.Random, op: Operator, observed: datetime, count: int) -> list[dict]:
    samples = []
    for number in range(count):
        prompt = rng.choice(PROMPT_TEMPLATES).format(
            field=rng.choice(FIELDS), question=rng.choice(QUESTIONS)
        )
        samples.append(
            {
                "prompt_excerpt": prompt,
                "response_excerpt": "Step 1: Restate the problem. Step 2: List what is known. "
                "Step 3: ... (full reasoning trace returned)",
                "request_id": f"req_{_hex(rng, 10)}",
                "at": _ts(observed - timedelta(minutes=number * 7)),
            }
        )
    return samples


def operator_alerts(rng: random.Random, op: Operator, seed: int, now: datetime) -> list[dict]:
    """The findings three detectors would make about one operator, oldest first."""
    alerts: list[dict] = []
    observed = now - timedelta(hours=rng.randint(20, 30))
    # Account clustering sees every account and every shared card first.
    alerts.append(
        {
            "external_id": f"sim-{seed}-{op.slug}-cluster",
            "kind": "payment.shared_instrument",
            "severity": "medium",
            "confidence": 0.8,
            "observed_at": _ts(observed),
            "title": f"{len(op.accounts)} new accounts share {len(op.payment_fingerprints)} "
            "payment instruments",
            "description": "Accounts created within days of each other, paying with the same "
            "cards, all signing in through a residential proxy range.",
            "accounts": op.accounts,
            "indicators": [
                *({"type": "device_fingerprint", "value": d} for d in op.device_fingerprints),
                *_proxy_indicators(op.ips[:1]),
            ],
            "labels": ["fresh-accounts", "shared-payment"],
        }
    )
    # The prompt classifier reports templated reasoning elicitation, a few
    # accounts at a time.
    chunks = [op.accounts[i : i + 3] for i in range(0, len(op.accounts), 3)]
    for number, chunk in enumerate(chunks):
        when = observed + timedelta(hours=2 + number)
        alerts.append(
            {
                "external_id": f"sim-{seed}-{op.slug}-cot-{number}",
                "kind": "distillation.cot_elicitation",
                "severity": "high",
                "confidence": round(rng.uniform(0.82, 0.97), 2),
                "observed_at": _ts(when),
                "title": f"Templated reasoning-elicitation prompts from {len(chunk)} new accounts",
                "accounts": [{"external_id": a["external_id"]} for a in chunk],
                "indicators": [
                    {"type": "prompt_cluster", "value": op.prompt_cluster},
                    {"type": "api_key_prefix", "value": op.api_key_prefixes[number % 2]},
                    *_proxy_indicators(op.ips),
                ],
                "metrics": {
                    "requests": rng.randint(20_000, 90_000),
                    "tokens_in": rng.randint(5, 20) * 1_000_000,
                    "tokens_out": rng.randint(80, 400) * 1_000_000,
                    "window_start": _ts(when - timedelta(hours=24)),
                    "window_end": _ts(when),
                },
                "samples": _samples(rng, op, when, 3),
            }
        )
    # The traffic anomaly job sees the volume, with the operator's cards.
    when = observed + timedelta(hours=len(chunks) + 3)
    alerts.append(
        {
            "external_id": f"sim-{seed}-{op.slug}-volume",
            "kind": "distillation.volume_anomaly",
            "severity": "critical",
            "confidence": 0.9,
            "observed_at": _ts(when),
            "title": "Output-token volume 40x the cohort baseline from a cluster of new accounts",
            "accounts": [
                {"external_id": a["external_id"], "payment_fingerprint": a["payment_fingerprint"]}
                for a in op.accounts[::2]
            ],
            "indicators": _proxy_indicators(op.ips),
            "metrics": {
                "requests": rng.randint(150_000, 400_000),
                "tokens_out": rng.randint(600, 1500) * 1_000_000,
                "window_start": _ts(when - timedelta(hours=24)),
                "window_end": _ts(when),
            },
        }
    )
    return alerts


def benign_alerts(rng: random.Random, seed: int, now: datetime) -> list[dict]:
    """A legitimate heavy user behind the same proxy network: must stay apart."""
    account = {
        "external_id": f"acct_benign_{seed}",
        "email_domain": "northwind-research.example",
        "organization_id": "org_northwind",
        "created_at": _ts(now - timedelta(days=700)),
        "country": "DE",
        "payment_fingerprint": f"pf_nw{_hex(rng, 6)}",
    }
    when = now - timedelta(hours=6)
    ips = [f"198.51.100.{rng.randint(2, 250)}"]
    return [
        {
            "external_id": f"sim-{seed}-benign-volume",
            "kind": "distillation.volume_anomaly",
            "severity": "medium",
            "confidence": 0.55,
            "observed_at": _ts(when),
            "title": "Sustained high request volume from a long-standing account",
            "accounts": [account],
            "indicators": _proxy_indicators(ips),
            "metrics": {
                "requests": 240_000,
                "tokens_out": 310_000_000,
                "window_start": _ts(when - timedelta(hours=24)),
                "window_end": _ts(when),
            },
        },
        {
            "external_id": f"sim-{seed}-benign-proxy",
            "kind": "infra.proxy_network",
            "severity": "low",
            "confidence": 0.4,
            "observed_at": _ts(when + timedelta(hours=1)),
            "title": "Traffic from a residential proxy range",
            "accounts": [{"external_id": account["external_id"]}],
            "indicators": _proxy_indicators(ips),
        },
    ]


@dataclass
class Scenario:
    operators: list[Operator]
    benign: list[dict]

    @property
    def alerts(self) -> list[dict]:
        """Every alert, in the order detectors would post them."""
        merged = [a for op in self.operators for a in op.alerts] + self.benign
        return sorted(merged, key=lambda a: (a["observed_at"], a["external_id"]))

    @property
    def benign_account(self) -> str:
        return self.benign[0]["accounts"][0]["external_id"]


def scenario(*, seed: int = 7, operators: int = 3, now: datetime | None = None) -> Scenario:
    """The whole scenario for ``seed``; ``now`` anchors its timestamps."""
    rng = random.Random(seed)
    now = now or datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    ops = []
    for index in range(operators):
        op = make_operator(rng, index, seed, now)
        op.alerts = operator_alerts(rng, op, seed, now)
        ops.append(op)
    return Scenario(operators=ops, benign=benign_alerts(rng, seed, now))


def batches(alerts: list[dict], size: int) -> list[list[dict]]:
    return [alerts[i : i + size] for i in range(0, len(alerts), size)]


def returning_operator_alert(op: Operator, *, seed: int, now: datetime, suffix: str) -> dict:
    """The operator back with a new account, still paying with one of its old cards."""
    return {
        "external_id": f"sim-{seed}-{op.slug}-return-{suffix}",
        "kind": "account.cluster",
        "severity": "high",
        "confidence": 0.85,
        "observed_at": _ts(now),
        "title": "New account paying with a card used by previously actioned accounts",
        "accounts": [
            {
                "external_id": f"acct_{op.slug}_{suffix}",
                "payment_fingerprint": op.payment_fingerprints[0],
                "created_at": _ts(now - timedelta(days=1)),
            }
        ],
        "indicators": _proxy_indicators(op.ips[:1]),
    }


# --- the benchmark's workloads -------------------------------------------------


@dataclass
class Workload:
    """Alerts in the order they are posted (resends included), with the truth behind them.

    ``operator_of`` maps every operator account to its operator's name; the
    honest accounts (``honest_of``: "heavy", "reseller" or "honest") belong to
    nobody and should each stay in a case of their own. ``known_shared`` lists
    the strong values leads would put on the known-shared list beforehand.
    """

    name: str
    alerts: list[dict]
    operator_of: dict[str, str] = field(default_factory=dict)
    honest_of: dict[str, str] = field(default_factory=dict)
    known_shared: list[dict] = field(default_factory=list)

    @property
    def operator_sizes(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for name in self.operator_of.values():
            sizes[name] = sizes.get(name, 0) + 1
        return sizes


def _with_resends(
    rng: random.Random, n: int, duplicate_share: float, make: Callable[[int], dict]
) -> list[dict]:
    """N alerts; about ``duplicate_share`` of them resend an earlier one (same external id)."""
    alerts: list[dict] = []
    for number in range(n):
        if alerts and rng.random() < duplicate_share:
            alerts.append(alerts[rng.randrange(len(alerts))])
        else:
            alerts.append(make(number))
    return alerts


def uniform(
    n: int, *, seed: int = 7, duplicate_share: float = 0.1, prefix: str = "bench-"
) -> Workload:
    """Independent random alerts (1-5 accounts, 2-8 indicators), each with one of 500
    campaign hints: ~450 cases at 200,000 alerts, and no operator to recover."""
    rng = random.Random(seed)
    kinds = [
        "distillation.cot_elicitation",
        "distillation.volume_anomaly",
        "infra.proxy_network",
        "account.cluster",
    ]
    severities = ["low", "medium", "high", "critical"]

    def make(number: int) -> dict:
        accounts = [
            {
                "external_id": f"acct_{rng.randrange(2_000_000):07d}",
                "email_domain": rng.choice(
                    ["example.net", "mail.example.com", "proxy-users.example"]
                ),
                "country": rng.choice(["SG", "US", "DE", "BR"]),
                "payment_fingerprint": f"pf_{rng.randrange(50_000):05x}",
            }
            for _ in range(rng.randint(1, 5))
        ]
        indicators = [_uniform_indicator(rng) for _ in range(rng.randint(2, 8))]
        return {
            "external_id": f"{prefix}{number:09d}",
            "kind": rng.choice(kinds),
            "severity": rng.choice(severities),
            "confidence": round(rng.random(), 3),
            "observed_at": f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:14:03Z",
            "title": "Templated reasoning-elicitation prompts from new accounts",
            "accounts": accounts,
            "indicators": indicators,
            "metrics": {"requests": rng.randrange(10**6), "tokens_out": rng.randrange(10**9)},
            "campaign_hint": f"cluster-{rng.randrange(500)}",
        }

    return Workload("uniform", _with_resends(rng, n, duplicate_share, make))


def _uniform_indicator(rng: random.Random) -> dict:
    kind = rng.choice(["ip", "cidr", "asn", "device_fingerprint", "prompt_cluster", "user_agent"])
    if kind == "ip":
        value = f"198.51.{rng.randrange(256)}.{rng.randrange(256)}"
    elif kind == "cidr":
        value = f"203.0.{rng.randrange(256)}.0/24"
    elif kind == "asn":
        value = f"AS{rng.randrange(64496, 65535)}"
    elif kind == "device_fingerprint":
        value = f"df-{rng.randrange(10**6):06d}"
    elif kind == "prompt_cluster":
        value = f"pc-{rng.randrange(10_000)}"
    else:
        value = "python-requests/2.32.3"
    return {"type": kind, "value": value}


# Residential ISPs a proxy network rents exit nodes from; honest users of the
# same ISPs come from the same ranges. (ASN, first two octets of its ranges.)
PROXY_NETWORK = (
    ("AS7922", ("73.12", "98.207", "24.5")),
    ("AS701", ("71.162", "108.28")),
    ("AS3320", ("79.195", "87.161")),
    ("AS4134", ("116.21", "183.14")),
    ("AS17974", ("36.68", "114.124")),
    ("AS45899", ("113.161", "171.224")),
)
USER_AGENTS = (
    COMMON_USER_AGENT,
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "python-requests/2.32.3",
    "OpenAI/Python 1.54.4",
)
FREE_MAIL = ("gmail.example", "outlook.example", "proton.example", "qq.example", "yandex.example")
RESELLER = "Brightpath"
# Alert share of each kind of honest traffic; operators share the rest by size.
HEAVY_SHARE, RESELLER_SHARE, HONEST_SHARE = 0.05, 0.04, 0.03


@dataclass
class _Account:
    external_id: str
    created: datetime
    payment_fingerprint: str
    email_domain: str
    country: str
    prompt_cluster: str = ""
    organization_id: str = ""

    def ref(self, full: bool) -> dict:
        """How a detector names the account: its id, and what it knows of it."""
        if not full:
            return {"external_id": self.external_id}
        ref = {
            "external_id": self.external_id,
            "email_domain": self.email_domain,
            "created_at": _ts(self.created),
            "country": self.country,
            "payment_fingerprint": self.payment_fingerprint,
        }
        if self.organization_id:
            ref["organization_id"] = self.organization_id
        return ref


@dataclass
class _Network:
    name: str
    accounts: list[_Account]
    hint: str
    by_cluster: dict[str, list[_Account]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for account in self.accounts:
            self.by_cluster.setdefault(account.prompt_cluster, []).append(account)


def operator_sizes(largest: int) -> list[int]:
    """Six operators from ``largest`` accounts down to tens, each about a quarter of the last."""
    sizes = [max(12, largest // 4**k) for k in range(5)]
    return [*sizes, min(40, largest)]


def campaign(
    n: int,
    *,
    seed: int = 7,
    duplicate_share: float = 0.1,
    prefix: str = "bench-",
    largest: int = 25_000,
    start: datetime | None = None,
    weeks: int = 6,
) -> Workload:
    """Campaign-shaped traffic: what detectors report over ``weeks`` about six operator
    networks of very different sizes and the honest users behind the same proxies.

    Each alert names 1-5 accounts and carries 2-8 indicators. Every operator
    account is fresh; a payment fingerprint is shared by 40-200 of an
    operator's accounts; each operator runs 1-3 prompt clusters; few alerts
    carry a campaign hint. Requests rotate through thousands of residential
    proxy IPs in six ASNs, which heavy users, a reseller's customers (one
    payment processor among hundreds of honest accounts) and other honest
    users come through too. Alerts arrive in no particular order; about
    ``duplicate_share`` are resends.
    """
    rng = random.Random(seed)
    start = start or datetime(2026, 10, 12, tzinfo=UTC)
    span = timedelta(weeks=weeks)
    ip_asn = {
        f"{prefix16}.{rng.randrange(256)}.{rng.randrange(1, 255)}": asn
        for asn, prefixes in PROXY_NETWORK
        for prefix16 in prefixes
        for _ in range(300)
    }
    ips = list(ip_asn)

    def new_id() -> str:
        return f"acct_{rng.getrandbits(48):012x}"

    operators: list[_Network] = []
    for index, size in enumerate(operator_sizes(largest)):
        name = OPERATOR_NAMES[index % len(OPERATOR_NAMES)]
        clusters = [f"pc-{rng.getrandbits(32):08x}" for _ in range(rng.randint(1, 3))]
        accounts: list[_Account] = []
        card, left = "", 0
        for _ in range(size):
            if left == 0:
                card, left = f"pf_{rng.getrandbits(40):010x}", rng.randint(40, 200)
            left -= 1
            accounts.append(
                _Account(
                    new_id(),
                    # Fresh: created during the campaign, days before it is seen.
                    start + span * rng.random() * 0.9,
                    card,
                    rng.choice(FREE_MAIL),
                    rng.choice(("SG", "VN", "ID", "MY", "PH", "HK")),
                    prompt_cluster=rng.choice(clusters),
                )
            )
        operators.append(_Network(name, accounts, f"op-{name.lower()}-{seed}"))

    def honest(kind: str, count: int, card: str = "") -> list[_Account]:
        return [
            _Account(
                new_id(),
                start - timedelta(days=rng.randint(120, 2500)),
                card or f"pf_{rng.getrandbits(40):010x}",
                f"{kind}{number}.example" if kind == "heavy" else rng.choice(FREE_MAIL),
                rng.choice(("US", "DE", "GB", "FR", "JP", "BR", "IN")),
                organization_id=f"org_{rng.getrandbits(32):08x}",
            )
            for number in range(count)
        ]

    heavy = honest("heavy", 40)
    reseller_card = f"pf_{RESELLER.lower()}_{rng.getrandbits(24):06x}"
    reseller = honest("reseller", 600, card=reseller_card)
    honest_users: list[_Account] = []

    # Operators send alerts in proportion to their size.
    operator_share = 1 - HEAVY_SHARE - RESELLER_SHARE - HONEST_SHARE
    accounts_total = sum(len(op.accounts) for op in operators)
    sources = [*operators, "heavy", "reseller", "honest"]
    weights = [operator_share * len(op.accounts) / accounts_total for op in operators]
    weights += [HEAVY_SHARE, RESELLER_SHARE, HONEST_SHARE]

    def proxied(count: int) -> list[dict]:
        chosen = rng.sample(ips, count)
        asns = dict.fromkeys(ip_asn[ip] for ip in chosen)
        return [
            *({"type": "asn", "value": asn} for asn in asns),
            *({"type": "ip", "value": ip} for ip in chosen),
        ]

    def observed(accounts: list[_Account]) -> datetime:
        seen = max(a.created for a in accounts) + timedelta(hours=1 + rng.random() * 120)
        return min(seen, start + span)

    def operator_alert(number: int, op: _Network) -> dict:
        roll = rng.random()
        if roll < 0.45:
            # The prompt classifier: accounts sending one cluster's templates.
            cluster = rng.choice(list(op.by_cluster))
            members = op.by_cluster[cluster]
            accounts = rng.sample(members, min(len(members), rng.randint(1, 5)))
            moment = observed(accounts)
            alert = _alert(
                rng,
                number,
                prefix,
                moment,
                "distillation.cot_elicitation",
                "Templated reasoning-elicitation prompts",
                [a.ref(full=False) for a in accounts],
                [{"type": "prompt_cluster", "value": cluster}, *proxied(rng.randint(1, 4))],
                severity=rng.choice(("high", "high", "critical")),
            )
            alert["samples"] = [
                {
                    "prompt_excerpt": rng.choice(PROMPT_TEMPLATES).format(
                        field=rng.choice(FIELDS), question=rng.choice(QUESTIONS)
                    ),
                    "request_id": f"req_{rng.getrandbits(40):010x}",
                    "at": _ts(moment),
                }
            ]
        elif roll < 0.60:
            # Account clustering names accounts paying with one card.
            first = rng.randrange(len(op.accounts))
            card = op.accounts[first].payment_fingerprint
            same = [a for a in op.accounts[first : first + 200] if a.payment_fingerprint == card]
            accounts = rng.sample(same, min(len(same), rng.randint(2, 5)))
            alert = _alert(
                rng,
                number,
                prefix,
                observed(accounts),
                "payment.shared_instrument",
                "New accounts share a payment instrument",
                [a.ref(full=True) for a in accounts],
                proxied(rng.randint(1, 3)),
                severity="medium",
            )
        else:
            accounts = rng.sample(op.accounts, min(len(op.accounts), rng.randint(1, 3)))
            kind = "distillation.volume_anomaly" if roll < 0.85 else "infra.proxy_network"
            alert = _alert(
                rng,
                number,
                prefix,
                observed(accounts),
                kind,
                "Output-token volume far above the cohort baseline"
                if kind == "distillation.volume_anomaly"
                else "Traffic rotating through residential proxy exits",
                [a.ref(full=rng.random() < 0.3) for a in accounts],
                [*proxied(rng.randint(1, 5)), _user_agent(rng)],
                severity=rng.choice(("medium", "high")),
            )
        if rng.random() < 0.05:
            # An intelligence feed attributed these to a known operation.
            alert["campaign_hint"] = op.hint
        return alert

    def honest_alert(number: int, kind: str) -> dict:
        if kind == "honest":
            # A new false positive each time: an ordinary customer's busy day.
            account = honest("honest", 1)[0]
            honest_users.append(account)
        else:
            account = rng.choice(heavy if kind == "heavy" else reseller)
        moment = start + span * rng.random()
        return _alert(
            rng,
            number,
            prefix,
            moment,
            "distillation.volume_anomaly",
            "Sustained high request volume from a long-standing account",
            [account.ref(full=kind != "heavy" or rng.random() < 0.5)],
            [*proxied(rng.randint(1, 4)), _user_agent(rng)],
            severity=rng.choice(("low", "medium")),
        )

    def make(number: int) -> dict:
        source = rng.choices(sources, weights)[0]
        if isinstance(source, _Network):
            return operator_alert(number, source)
        return honest_alert(number, source)

    alerts = _with_resends(rng, n, duplicate_share, make)
    truth = Workload(
        "campaign",
        alerts,
        operator_of={a.external_id: op.name for op in operators for a in op.accounts},
        honest_of={
            **{a.external_id: "heavy" for a in heavy},
            **{a.external_id: "reseller" for a in reseller},
            **{a.external_id: "honest" for a in honest_users},
        },
        known_shared=[
            {
                "type": "payment_fingerprint",
                "value": reseller_card,
                "reason": f"{RESELLER}, a reseller: one payment processor for its customers",
            }
        ],
    )
    return truth


def _alert(
    rng: random.Random,
    number: int,
    prefix: str,
    moment: datetime,
    kind: str,
    title: str,
    accounts: list[dict],
    indicators: list[dict],
    *,
    severity: str,
) -> dict:
    return {
        "external_id": f"{prefix}{number:09d}",
        "kind": kind,
        "severity": severity,
        "confidence": round(rng.uniform(0.5, 0.97), 2),
        "observed_at": _ts(moment),
        "title": title,
        "accounts": accounts,
        # At most 8, as the benchmark's alerts always had: surplus proxy IPs go.
        "indicators": indicators[:8],
        "metrics": {
            "requests": rng.randrange(10_000, 400_000),
            "tokens_out": rng.randrange(10**6, 10**9),
            "window_start": _ts(moment - timedelta(hours=24)),
            "window_end": _ts(moment),
        },
    }


def _user_agent(rng: random.Random) -> dict:
    return {"type": "user_agent", "value": rng.choice(USER_AGENTS)}


WORKLOADS = ("campaign", "uniform")


def workload(
    name: str,
    n: int,
    *,
    seed: int = 7,
    duplicate_share: float = 0.1,
    prefix: str = "bench-",
    largest: int = 25_000,
    start: datetime | None = None,
    weeks: int = 6,
) -> Workload:
    """The named workload (``campaign`` or ``uniform``) of ``n`` alerts; ``uniform``
    has no operators, so it takes no ``largest``, ``start`` or ``weeks``."""
    if name == "campaign":
        return campaign(
            n,
            seed=seed,
            duplicate_share=duplicate_share,
            prefix=prefix,
            largest=largest,
            start=start,
            weeks=weeks,
        )
    if name == "uniform":
        return uniform(n, seed=seed, duplicate_share=duplicate_share, prefix=prefix)
    raise ValueError(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}")
