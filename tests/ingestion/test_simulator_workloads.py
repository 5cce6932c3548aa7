"""The campaign workload has the shape bench/README.md describes, and both workloads
follow the alert contract (the simulator and the benchmark post the same alerts)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from ingestion.simulator import batches, campaign, operator_sizes, workload
from tests.ingestion.conftest import schema_accepts

START = datetime(2026, 10, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def dense():
    """Small operators named many times each, so every account and card shows up."""
    return campaign(20_000, largest=400, start=START, weeks=6)


def _at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _distinct(alerts: list[dict]) -> list[dict]:
    return list({alert["external_id"]: alert for alert in alerts}.values())


def test_operators_range_from_tens_to_the_size_of_real_campaigns():
    sizes = operator_sizes(25_000)

    assert max(sizes) == 25_000 and min(sizes) == 40
    assert len(sizes) == len(set(sizes)) >= 5
    assert list(campaign(100).operator_sizes.values()) == sizes


def test_every_alert_follows_the_contract_and_the_benchmark_shape():
    for name in ("campaign", "uniform"):
        alerts = workload(name, 3000).alerts

        assert all(1 <= len(alert["accounts"]) <= 5 for alert in alerts), name
        assert all(2 <= len(alert["indicators"]) <= 8 for alert in alerts), name
        for body in batches(alerts, 500):
            assert schema_accepts(json.dumps({"alerts": body}).encode()), name


def test_the_same_seed_gives_the_same_alerts_and_another_seed_other_accounts():
    assert campaign(500, seed=3).alerts == campaign(500, seed=3).alerts
    assert not set(campaign(500, seed=3).operator_of) & set(campaign(500, seed=4).operator_of)


def test_about_a_tenth_are_resends_of_earlier_alerts(dense):
    ids = [alert["external_id"] for alert in dense.alerts]

    assert 0.07 < 1 - len(set(ids)) / len(ids) < 0.13
    seen: dict[str, dict] = {}
    for alert in dense.alerts:
        assert seen.setdefault(alert["external_id"], alert) == alert


def test_operator_accounts_are_fresh_and_cards_are_shared_by_40_to_200(dense):
    cards: dict[str, set[str]] = defaultdict(set)
    for alert in _distinct(dense.alerts):
        for account in alert["accounts"]:
            owner = dense.operator_of.get(account["external_id"])
            if owner and "created_at" in account:
                created = _at(account["created_at"])
                assert START <= created <= _at(alert["observed_at"]) <= START + timedelta(weeks=6)
                cards[account["payment_fingerprint"]].add(account["external_id"])

    by_operator: dict[str, list[int]] = defaultdict(list)
    for card, accounts in cards.items():
        (owner,) = {dense.operator_of[a] for a in accounts}  # a card is one operator's
        by_operator[owner].append(len(accounts))
    for owner, counts in by_operator.items():
        assert all(n <= 200 for n in counts), owner
        # Only the card that pays for an operator's last accounts may have fewer than 40.
        assert sum(n < 40 for n in counts) <= 1, (owner, counts)


def test_each_operator_runs_one_to_three_prompt_clusters_of_its_own(dense):
    clusters: dict[str, set[str]] = defaultdict(set)
    for alert in _distinct(dense.alerts):
        values = [i["value"] for i in alert["indicators"] if i["type"] == "prompt_cluster"]
        owners = {dense.operator_of.get(a["external_id"]) for a in alert["accounts"]}
        if values:
            (owner,) = owners
            assert owner is not None
            clusters[owner].update(values)

    assert set(clusters) == set(dense.operator_sizes)
    assert all(1 <= len(values) <= 3 for values in clusters.values())
    every = [value for values in clusters.values() for value in values]
    assert len(every) == len(set(every))


def test_few_alerts_carry_a_campaign_hint(dense):
    alerts = _distinct(dense.alerts)

    hinted = [alert for alert in alerts if alert.get("campaign_hint")]
    assert 0 < len(hinted) < 0.1 * len(alerts)


def test_honest_users_come_through_the_same_thousands_of_proxy_ips_and_asns(dense):
    ips: dict[str, set[str]] = {"operator": set(), "honest": set()}
    asns: dict[str, set[str]] = {"operator": set(), "honest": set()}
    for alert in _distinct(dense.alerts):
        side = "operator" if alert["accounts"][0]["external_id"] in dense.operator_of else "honest"
        for indicator in alert["indicators"]:
            if indicator["type"] == "ip":
                ips[side].add(indicator["value"])
            elif indicator["type"] == "asn":
                asns[side].add(indicator["value"])

    assert len(ips["operator"]) > 2000 and len(ips["operator"] & ips["honest"]) > 500
    assert len(asns["operator"]) >= 5 and asns["operator"] == asns["honest"]


def test_a_reseller_pays_for_hundreds_of_honest_accounts_with_one_known_shared_card(dense):
    (shared,) = dense.known_shared
    assert shared["type"] == "payment_fingerprint" and shared["reason"]

    payers = {
        account["external_id"]
        for alert in dense.alerts
        for account in alert["accounts"]
        if account.get("payment_fingerprint") == shared["value"]
    }
    assert len(payers) > 100
    assert {dense.honest_of[a] for a in payers} == {"reseller"}
    # Each of its customers is reported alone: nothing but the card ties them.
    for alert in dense.alerts:
        if {a["external_id"] for a in alert["accounts"]} & payers:
            assert len(alert["accounts"]) == 1


def test_benign_heavy_users_are_long_standing_and_reported_again_and_again(dense):
    heavy = {a for a, kind in dense.honest_of.items() if kind == "heavy"}
    reports: dict[str, int] = defaultdict(int)
    for alert in _distinct(dense.alerts):
        for account in alert["accounts"]:
            if account["external_id"] in heavy:
                reports[account["external_id"]] += 1
                if "created_at" in account:
                    assert _at(account["created_at"]) < START - timedelta(days=100)

    assert len(reports) >= 20 and min(reports.values()) >= 5


def test_alerts_arrive_over_weeks_in_no_particular_order(dense):
    seen = [_at(alert["observed_at"]) for alert in dense.alerts]

    assert max(seen) - min(seen) > timedelta(weeks=4)
    later = sum(b > a for a, b in pairwise(seen))
    assert 0.4 < later / (len(seen) - 1) < 0.6
