"""The benchmark's synthetic alerts follow the contract, so its figures mean something."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.ingestion.conftest import schema_accepts

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from harness import make_alerts, make_bodies


def test_bench_alerts_are_valid_and_shaped_as_the_issue_asks():
    alerts = make_alerts(2000)

    ids = [alert["external_id"] for alert in alerts]
    duplicates = len(ids) - len(set(ids))
    assert 0.07 < duplicates / len(ids) < 0.13
    assert all(1 <= len(alert["accounts"]) <= 5 for alert in alerts)
    assert all(2 <= len(alert["indicators"]) <= 8 for alert in alerts)
    for body in make_bodies(alerts, 500):
        assert schema_accepts(body)


def test_bench_bodies_are_accepted_by_the_api(api):
    body = make_bodies(make_alerts(50), 50)[0]

    response = api.post(body)

    assert response.status_code == 202
    assert response.json()["accepted"] + response.json()["duplicates"] == 50
