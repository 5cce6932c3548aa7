"""POST /api/v1/alerts/: what is accepted and how it is stored."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from ingestion.models import Alert, AlertKey, Batch
from tests.cases.test_indicator_values import NORMALISED
from tests.ingestion.conftest import ALERT, make_alert


def test_it_accepts_the_contract_example_and_stores_it(api, detector):
    response = api.post({"alerts": [ALERT]})

    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1 and body["duplicates"] == 0
    assert body["status_url"] == f"/api/v1/alerts/batches/{body['batch']}/"
    alert = Alert.objects.get()
    assert alert.external_id == ALERT["external_id"]
    assert alert.kind == "distillation.cot_elicitation"
    assert alert.severity == "high"
    assert alert.confidence == 0.91
    assert alert.observed_at == datetime(2026, 11, 28, 9, 14, 3, tzinfo=UTC)
    assert alert.title == ALERT["title"]
    assert alert.payload == ALERT
    assert alert.status == "pending" and alert.case_id is None
    assert str(alert.batch_id) == body["batch"]
    assert alert.detector_id == detector.detector.pk


def test_it_accepts_a_single_alert_body(api):
    response = api.post(make_alert("single"))

    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    assert Alert.objects.get().external_id == "single"


def test_it_keeps_the_raw_body_verbatim_once_per_batch(api):
    raw = b'{ "alerts" : [ %s ,\n %s ] }' % (
        json.dumps(make_alert("r-1")).encode(),
        json.dumps(make_alert("r-2")).encode(),
    )
    response = api.post(raw)

    batch = Batch.objects.get(pk=response.json()["batch"])
    assert bytes(batch.raw_body) == raw
    assert batch.status == "pending" and batch.accepted == 2


def test_it_keeps_unknown_fields_with_the_alert(api):
    alert = make_alert("u-1", detector_version="3.2", extra={"model": {"name": "x", "n": [1, 2]}})
    alert["accounts"][0]["risk_score"] = 0.7

    assert api.post(alert).status_code == 202
    payload = Alert.objects.get().payload
    assert payload["detector_version"] == "3.2"
    assert payload["extra"] == {"model": {"name": "x", "n": [1, 2]}}
    assert payload["accounts"][0]["risk_score"] == 0.7


def test_it_treats_null_optional_fields_as_absent(api):
    alert = {
        "external_id": "n-1",
        "kind": "infra.proxy_network",
        "severity": "low",
        "observed_at": "2026-11-28T09:14:03+05:30",
        **dict.fromkeys(
            (
                "confidence",
                "title",
                "description",
                "accounts",
                "indicators",
                "metrics",
                "samples",
                "campaign_hint",
                "labels",
                "extra",
            )
        ),
    }
    assert api.post(alert).status_code == 202
    stored = Alert.objects.get()
    assert stored.confidence == 0.5
    assert stored.title == ""
    assert stored.observed_at == datetime(2026, 11, 28, 3, 44, 3, tzinfo=UTC)


def test_it_accepts_the_minimal_alert(api):
    alert = {
        "external_id": "m",
        "kind": "x",
        "severity": "critical",
        "observed_at": "2026-11-28t09:14:03.123456789z",
    }
    assert api.post(alert).status_code == 202
    assert Alert.objects.get().confidence == 0.5


def test_it_accepts_every_field_at_its_limits(api):
    alert = make_alert(
        "x" * 200,
        kind="a" * 100,
        confidence=0,
        title="t" * 300,
        description="d" * 20000,
        campaign_hint="c" * 200,
        labels=["l" * 100] * 50,
        samples=[
            {
                "prompt_excerpt": "p" * 4000,
                "response_excerpt": "<script>alert(1)</script>" + "r" * 3975,
                "request_id": "q" * 200,
                "at": "2026-11-28T09:14:03-08:00",
            }
        ]
        * 50,
        metrics={"requests": 0, "tokens_in": 3.0, "tokens_out": 10**20, "window_start": None},
        accounts=[
            {
                "external_id": "a" * 200,
                "email_domain": "mail.example.net",
                "organization_id": "o" * 200,
                "created_at": "2026-09-30T12:00:00Z",
                "country": "SG",
                "payment_fingerprint": "p" * 200,
            }
        ],
        extra={"blob": "e" * (64 * 1024 - 20)},
    )
    response = api.post(alert)
    assert response.status_code == 202, response.json()


def test_it_accepts_a_thousand_alerts_and_stores_each(api):
    alerts = [make_alert(f"k-{n}") for n in range(1000)]

    response = api.post({"alerts": alerts})

    assert response.status_code == 202
    assert response.json()["accepted"] == 1000
    assert Alert.objects.count() == 1000
    assert AlertKey.objects.count() == 1000


def test_it_counts_alerts_posted_again_as_duplicates(api):
    api.post({"alerts": [make_alert("d-1"), make_alert("d-2")]})

    response = api.post({"alerts": [make_alert("d-2"), make_alert("d-3")]})

    assert response.json()["accepted"] == 1
    assert response.json()["duplicates"] == 1
    assert sorted(Alert.objects.values_list("external_id", flat=True)) == ["d-1", "d-2", "d-3"]


def test_the_first_occurrence_in_a_request_wins(api):
    response = api.post(
        {"alerts": [make_alert("same", title="first"), make_alert("same", title="second")]}
    )

    assert response.json() == {**response.json(), "accepted": 1, "duplicates": 1}
    assert Alert.objects.get().title == "first"


def test_a_repost_changes_nothing_already_stored(api):
    api.post(make_alert("keep", title="original"))

    api.post(make_alert("keep", title="changed"))

    assert Alert.objects.get().title == "original"


def test_an_all_duplicate_request_gets_a_batch_already_imported(api):
    api.post({"alerts": [make_alert("z-1")]})

    response = api.post({"alerts": [make_alert("z-1")]})

    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 0 and body["duplicates"] == 1
    batch = Batch.objects.get(pk=body["batch"])
    assert batch.status == "imported" and batch.finished_at is not None


def test_two_detectors_may_use_the_same_external_id(api, client):
    from ingestion.detectors import create_detector

    other = create_detector("traffic", rate=0)
    api.post(make_alert("shared"))

    response = api.post(make_alert("shared"), token=other.token)

    assert response.json()["accepted"] == 1
    assert Alert.objects.filter(external_id="shared").count() == 2


def test_it_accepts_a_gzip_body_and_stores_it_decompressed(api):
    raw = json.dumps({"alerts": [make_alert(f"g-{n}") for n in range(3)]}).encode()

    response = api.post(raw, gzipped=True)

    assert response.status_code == 202
    assert bytes(Batch.objects.get().raw_body) == raw


def test_it_accepts_json_with_a_charset_parameter(api):
    response = api.post(make_alert("cs"), content_type="application/json; charset=utf-8")
    assert response.status_code == 202


def test_it_records_when_the_detector_was_last_seen(api, detector):
    assert detector.detector.last_seen_at is None

    api.post(make_alert("seen"))

    detector.detector.refresh_from_db()
    assert detector.detector.last_seen_at is not None


def test_it_accepts_paired_surrogate_escapes(api):
    raw = json.dumps(make_alert("emoji", title="\U0001f600 ok"), ensure_ascii=True).encode()
    assert b"\\ud83d" in raw

    assert api.post(raw).status_code == 202
    assert Alert.objects.get().title == "\U0001f600 ok"


@pytest.mark.parametrize(("kind", "value", "normalised"), NORMALISED)
def test_it_accepts_every_indicator_form_of_the_contract(api, kind, value, normalised):
    alert = make_alert("ind", indicators=[{"type": kind, "value": value, "first_seen": None}])

    assert api.post(alert).status_code == 202
    assert Alert.objects.get().payload["indicators"][0]["value"] == value


def test_it_accepts_indicator_times(api):
    indicator = {
        "type": "ip",
        "value": "192.0.2.1",
        "first_seen": "2026-11-01T00:00:00Z",
        "last_seen": "2026-11-28T09:00:00.5+01:00",
    }
    assert api.post(make_alert("t", indicators=[indicator])).status_code == 202


def test_it_decodes_a_gzip_body_of_several_members(api, client):
    raw = json.dumps({"alerts": [make_alert("m-1"), make_alert("m-2")]}).encode()
    half = len(raw) // 2
    body = gzip.compress(raw[:half]) + gzip.compress(raw[half:])

    response = client.generic(
        "POST",
        "/api/v1/alerts/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}", "Content-Encoding": "gzip"},
    )

    assert response.status_code == 202
    assert bytes(Batch.objects.get().raw_body) == raw


def test_it_stores_text_with_tabs_newlines_and_backslashes_exactly(api):
    alert = make_alert(
        "ext\\id\t1",
        title="a\tb\nc\rd\\e \\N",
        extra={"path": "C:\\new\\table", "multi": "line1\nline2\r\n\tindented"},
    )
    raw = json.dumps(alert, indent="\t").encode()

    assert api.post(raw).status_code == 202

    stored = Alert.objects.get()
    assert stored.external_id == "ext\\id\t1"
    assert stored.title == "a\tb\nc\rd\\e \\N"
    assert stored.payload == alert
    assert api.get("/api/v1/alerts/lookup/", external_id="ext\\id\t1").status_code == 200


def test_it_stores_reasonably_deep_extra(api):
    deep: dict = {"leaf": True}
    for _ in range(300):
        deep = {"d": deep}

    assert api.post(make_alert("deep", extra=deep)).status_code == 202
    assert Alert.objects.get().payload["extra"] == deep


def test_it_accepts_an_offset_postgresql_cannot_hold_and_keeps_the_instant(api):
    # RFC 3339 allows offsets up to 23:59; PostgreSQL refuses those past 15:59.
    response = api.post(make_alert("far-offset", observed_at="2026-11-28T09:14:03-17:24"))

    assert response.status_code == 202, response.json()
    stored = Alert.objects.get(external_id="far-offset").observed_at
    assert stored == datetime(2026, 11, 29, 2, 38, 3, tzinfo=UTC)
