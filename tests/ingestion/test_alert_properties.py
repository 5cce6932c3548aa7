"""Properties of the alerts API over generated batches of valid and broken alerts.

* every accepted alert is imported, and exists exactly once afterwards;
* a refused request leaves nothing behind: no batch, no alert, no key;
* every error names, for each broken alert, its index and the field at fault,
  and says in words what is wrong.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.importing import import_batch_now
from ingestion.models import Alert, AlertKey, Batch
from tests.ingestion.test_api_errors import assert_in_words

pytestmark = pytest.mark.django_db

EXAMPLES = 60
_ids = itertools.count()

OFFSETS = [
    UTC,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(-timedelta(hours=17, minutes=24)),
]
timestamps = st.builds(
    lambda moment, zone: moment.replace(tzinfo=UTC).astimezone(zone).isoformat(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sampled_from(OFFSETS),
)
text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
kinds = st.from_regex(r"[a-z0-9_]{1,12}(\.[a-z0-9_]{1,12}){0,2}", fullmatch=True)
indicators = st.sampled_from(
    [
        {"type": "ip", "value": "192.0.2.17"},
        {"type": "cidr", "value": "198.51.100.0/24"},
        {"type": "asn", "value": "AS64500"},
        {"type": "prompt_cluster", "value": "pc-5531"},
        {"type": "payment_fingerprint", "value": "pf_77ab"},
        {"type": "email_domain", "value": "Example.NET"},
    ]
)
accounts = st.fixed_dictionaries(
    {"external_id": st.from_regex(r"acct_[a-z0-9]{1,8}", fullmatch=True)},
    optional={"country": st.sampled_from(["SG", "DE", "US"]), "created_at": timestamps},
)
valid_alerts = st.fixed_dictionaries(
    {
        "kind": kinds,
        "severity": st.sampled_from(["low", "medium", "high", "critical"]),
        "observed_at": timestamps,
    },
    optional={
        "confidence": st.floats(min_value=0, max_value=1) | st.none(),
        "title": text | st.none(),
        "accounts": st.lists(accounts, max_size=3),
        "indicators": st.lists(indicators, max_size=3),
        "metrics": st.fixed_dictionaries(
            {}, optional={"requests": st.integers(0, 10**9), "window_start": timestamps}
        ),
        "labels": st.lists(text.filter(lambda s: len(s) <= 100), max_size=3),
        "campaign_hint": text,
        # Fields Dossier does not know are no error: they stay with the raw alert.
        "unknown_field": text,
        "extra": st.dictionaries(st.sampled_from(["a", "b"]), text, max_size=2),
    },
)


def _set(path: str, value):
    def mutate(alert: dict) -> dict:
        *parents, last = path.split(".")
        target = alert
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
        return alert

    return mutate


def _delete(name: str):
    def mutate(alert: dict) -> dict:
        alert.pop(name, None)
        return alert

    return mutate


def _with_account(field: str, value):
    def mutate(alert: dict) -> dict:
        alert["accounts"] = [{"external_id": "acct_x", field: value}]
        return alert

    return mutate


# (how to break an alert, the field the error must name)
BREAKAGES = [
    *((_delete(name), name) for name in ("external_id", "kind", "severity", "observed_at")),
    (_set("external_id", 17), "external_id"),
    (_set("external_id", ""), "external_id"),
    (_set("external_id", "x" * 201), "external_id"),
    (_set("title", "t" * 301), "title"),
    (_set("title", 5), "title"),
    (_set("campaign_hint", "c" * 201), "campaign_hint"),
    (_set("kind", "Not.A-Kind"), "kind"),
    (_set("severity", "urgent"), "severity"),
    (_set("confidence", 1.5), "confidence"),
    (_set("confidence", "high"), "confidence"),
    (_set("observed_at", "yesterday"), "observed_at"),
    (_set("observed_at", "2026-02-30T09:14:03Z"), "observed_at"),
    (_set("observed_at", "2026-11-28T09:14:03"), "observed_at"),
    (_set("observed_at", "2026-11-28T09:14:03+24:00"), "observed_at"),
    (_set("metrics.window_start", "2026-11-27"), "metrics.window_start"),
    (_set("metrics.requests", -1), "metrics.requests"),
    (_set("accounts", {"external_id": "a"}), "accounts"),
    (_with_account("created_at", "noon"), "accounts[0].created_at"),
    (_with_account("country", "sg"), "accounts[0].country"),
    (_set("indicators", [{"type": "mac", "value": "x"}]), "indicators[0].type"),
    (_set("indicators", [{"type": "ip", "value": "999.1.1.1"}]), "indicators[0].value"),
    (_set("labels", ["l" * 101]), "labels[0]"),
    (_set("extra", [1]), "extra"),
]

# Each alert of a batch: valid, or broken in one way (with the field to name).
batch_items = st.lists(
    st.tuples(
        valid_alerts,
        st.none() | st.sampled_from(range(len(BREAKAGES))),
    ),
    min_size=1,
    max_size=6,
)


def stored() -> tuple[int, int, int]:
    return Batch.objects.count(), Alert.objects.count(), AlertKey.objects.count()


def test_accepted_alerts_are_imported_once_and_refused_requests_leave_nothing(api, report_figure):
    seen = {"examples": 0, "accepted": 0, "refused": 0}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(items=batch_items, envelope=st.booleans())
    def check(items, envelope):
        seen["examples"] += 1
        alerts, expected = [], set()
        for index, (alert, breakage) in enumerate(items):
            alert = {"external_id": f"prop-{next(_ids)}", **alert}
            if breakage is not None:
                mutate, field = BREAKAGES[breakage]
                alert = mutate(alert)
                expected.add((index, field))
            alerts.append(alert)
        body = {"alerts": alerts} if envelope or len(alerts) > 1 else alerts[0]
        before = stored()

        response = api.post(body)

        if expected:
            seen["refused"] += 1
            assert response.status_code == 400, response.json()
            errors = response.json()["errors"]
            assert {(e["index"], e["field"]) for e in errors} == expected
            for error in errors:
                assert_in_words(error["message"])
            assert stored() == before
            return
        seen["accepted"] += 1
        assert response.status_code == 202, response.json()
        answer = response.json()
        assert answer["accepted"] == len(alerts)
        assert import_batch_now(answer["batch"]).status == "imported"
        for alert in alerts:
            rows = Alert.objects.filter(external_id=alert["external_id"])
            assert [row.status for row in rows] == ["imported"]
            assert rows[0].case_id is not None

    check()
    report_figure(
        f"Alert properties: {seen['examples']} examples, "
        f"{seen['accepted']} accepted and imported, {seen['refused']} refused"
    )
    assert seen["accepted"] and seen["refused"]
