"""A realistic distillation scenario, as detectors would report it (docs/alerts-api.md).

Pure functions: the same seed gives the same alerts (and the same external ids,
so posting a scenario twice only produces duplicates). Used by
``manage.py simulate_detectors``, by tests and by the benchmark.

The scenario: a few fictional operators, each a cluster of freshly created
accounts paying with a couple of shared cards, sending templated
reasoning-elicitation prompts through a residential proxy network, plus one
legitimate heavy user who happens to sit behind the same proxy ASN, range and
user agent. Correlation must put each operator in one case and keep the heavy
user apart: the weak indicators they share must not join anything.
"""

from __future__ import annotations

import random
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
