"""POST /api/v1/alerts/: every refusal names what is wrong and stores nothing."""

from __future__ import annotations

import gzip
import json

import pytest

from ingestion.models import Alert, AlertKey, Batch
from tests.ingestion.conftest import make_alert


def assert_nothing_stored() -> None:
    assert Batch.objects.count() == 0
    assert Alert.objects.count() == 0
    assert AlertKey.objects.count() == 0


def only_error(response) -> dict:
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]


def with_field(path: str, value) -> dict:
    """An alert with ``value`` set at a dotted path like ``accounts.0.country``."""
    alert = make_alert("bad")
    *parents, last = path.split(".")
    target = alert
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return alert


def without(field: str) -> dict:
    alert = make_alert("bad")
    del alert[field]
    return alert


FIELD_ERRORS = [
    # (alert, field named in the error)
    (without("external_id"), "external_id"),
    (without("kind"), "kind"),
    (without("severity"), "severity"),
    (without("observed_at"), "observed_at"),
    (with_field("external_id", ""), "external_id"),
    (with_field("external_id", "x" * 201), "external_id"),
    (with_field("external_id", 17), "external_id"),
    (with_field("kind", "Distillation.COT"), "kind"),
    (with_field("kind", "distillation..cot"), "kind"),
    (with_field("kind", "distillation.cot-x"), "kind"),
    (with_field("kind", "a" * 101), "kind"),
    (with_field("severity", "urgent"), "severity"),
    (with_field("severity", "HIGH"), "severity"),
    (with_field("confidence", 1.01), "confidence"),
    (with_field("confidence", -0.1), "confidence"),
    (with_field("confidence", "0.5"), "confidence"),
    (with_field("confidence", True), "confidence"),
    (with_field("observed_at", "2026-11-28T09:14:03"), "observed_at"),
    (with_field("observed_at", "2026-11-28 09:14:03Z"), "observed_at"),
    (with_field("observed_at", "2026-11-28T09:14Z"), "observed_at"),
    (with_field("observed_at", "2026-02-30T09:14:03Z"), "observed_at"),
    (with_field("observed_at", "2026-11-28T25:14:03Z"), "observed_at"),
    (with_field("observed_at", "2026-12-31T23:59:60Z"), "observed_at"),
    (with_field("observed_at", "2026-11-28T09:14:03+0530"), "observed_at"),
    (with_field("observed_at", "2026-11-28T09:14:03+00:60"), "observed_at"),
    (with_field("observed_at", "2026-11-28T09:14:03+24:00"), "observed_at"),
    (with_field("observed_at", "2026-11-28T09:14:03.Z"), "observed_at"),
    (with_field("observed_at", "0001-01-01T00:00:00+01:00"), "observed_at"),
    (with_field("observed_at", "\uff12\uff10\uff12\uff16-11-28T09:14:03Z"), "observed_at"),
    (with_field("observed_at", "2026-11-28T09:14:03Z\n"), "observed_at"),
    (with_field("observed_at", "1732785243"), "observed_at"),
    (with_field("observed_at", None), "observed_at"),
    (with_field("title", "t" * 301), "title"),
    (with_field("description", "d" * 20001), "description"),
    (with_field("campaign_hint", "c" * 201), "campaign_hint"),
    (with_field("labels", ["x"] * 51), "labels"),
    (with_field("labels", ["x" * 101]), "labels[0]"),
    (with_field("labels", [3]), "labels[0]"),
    (with_field("accounts", {"external_id": "a"}), "accounts"),
    (with_field("accounts", [{"external_id": "a"}] * 1001), "accounts"),
    (with_field("accounts.0", {"country": "SG"}), "accounts[0].external_id"),
    (with_field("accounts.0.external_id", ""), "accounts[0].external_id"),
    (with_field("accounts.0.country", "sg"), "accounts[0].country"),
    (with_field("accounts.0.country", "SGP"), "accounts[0].country"),
    (with_field("accounts.0.email_domain", "d" * 254), "accounts[0].email_domain"),
    (with_field("accounts.0.email_domain", "not a domain"), "accounts[0].email_domain"),
    (with_field("accounts.0.organization_id", "o" * 201), "accounts[0].organization_id"),
    (with_field("accounts.0.created_at", "yesterday"), "accounts[0].created_at"),
    (with_field("accounts.0.payment_fingerprint", "p" * 201), "accounts[0].payment_fingerprint"),
    (with_field("indicators.0", {"type": "asn"}), "indicators[0].value"),
    (with_field("indicators.0", {"value": "AS1"}), "indicators[0].type"),
    (with_field("indicators.0", {"type": "mac", "value": "x"}), "indicators[0].type"),
    (with_field("indicators.0", {"type": "ip", "value": ""}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "ip", "value": "i" * 1001}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "ip", "value": "999.1.1.1"}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "ip", "value": "010.0.0.1"}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "ip", "value": "proxy.example"}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "cidr", "value": "10.0.0.0/33"}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "cidr", "value": "10.0.0.1"}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "asn", "value": "AS4294967296"}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "asn", "value": "65536.0"}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "asn", "value": "ASX"}), "indicators[0].value"),
    (with_field("indicators.0", {"type": "email_domain", "value": "a@b.c"}), "indicators[0].value"),
    (
        with_field("indicators.0", {"type": "api_key_prefix", "value": "sk-1"}),
        "indicators[0].value",
    ),
    (with_field("indicators.0", {"type": "user_agent", "value": "   "}), "indicators[0].value"),
    (
        with_field("indicators.0", {"type": "ip", "value": "192.0.2.1", "first_seen": "now"}),
        "indicators[0].first_seen",
    ),
    (
        with_field("indicators.0", {"type": "ip", "value": "192.0.2.1", "last_seen": 5}),
        "indicators[0].last_seen",
    ),
    (with_field("metrics", [1]), "metrics"),
    (with_field("metrics.requests", -1), "metrics.requests"),
    (with_field("metrics.requests", 1.5), "metrics.requests"),
    (with_field("metrics.tokens_in", "5"), "metrics.tokens_in"),
    (with_field("metrics.tokens_out", True), "metrics.tokens_out"),
    (with_field("metrics.window_start", "2026-11-27"), "metrics.window_start"),
    (with_field("metrics.window_end", "2026-11-27T09:00:00"), "metrics.window_end"),
    (with_field("samples", [{}] * 51), "samples"),
    (with_field("samples.0.prompt_excerpt", "p" * 4001), "samples[0].prompt_excerpt"),
    (with_field("samples.0.response_excerpt", "r" * 4001), "samples[0].response_excerpt"),
    (with_field("samples.0.request_id", "q" * 201), "samples[0].request_id"),
    (with_field("samples.0.at", "2026-11-28"), "samples[0].at"),
    (with_field("extra", "a string"), "extra"),
    (with_field("extra", [1, 2]), "extra"),
    (with_field("extra", {"blob": "e" * (64 * 1024)}), "extra"),
]


@pytest.mark.parametrize(("alert", "field"), FIELD_ERRORS, ids=[f for _, f in FIELD_ERRORS])
def test_it_names_the_invalid_field(api, alert, field):
    response = api.post(alert)

    assert response.status_code == 400
    error = only_error(response)
    assert error["index"] == 0
    assert error["field"] == field
    assert_in_words(error["message"])
    assert_nothing_stored()


def assert_in_words(message: str) -> None:
    """A message a detector's author reads: no pattern, no decoder's notation."""
    assert message
    for jargon in ("regex", "Expected `", "\\Z", "[0-9]", "$.", "`"):
        assert jargon not in message, message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "kind",
            "Distillation.COT",
            "must be dot-separated parts of lower-case letters, digits and _, "
            "such as distillation.cot_elicitation",
        ),
        (
            "observed_at",
            "yesterday",
            "must be an RFC 3339 timestamp with an offset, such as 2026-11-28T09:14:03Z",
        ),
        (
            "accounts.0.country",
            "sg",
            "must be an ISO 3166-1 alpha-2 country code in capitals, such as SG",
        ),
        ("severity", "urgent", "must be one of low, medium, high, critical, not 'urgent'"),
        ("confidence", "0.5", "must be a number or null, not a string"),
        ("title", "t" * 301, "must have at most 300 characters"),
        ("external_id", "", "must not be empty"),
        ("metrics.requests", -1, "must be at least 0"),
    ],
)
def test_it_says_in_words_what_is_wrong(api, field, value, message):
    response = api.post(with_field(field, value))

    assert response.status_code == 400
    assert only_error(response)["message"] == message


def test_it_names_the_index_of_the_bad_alert_and_stores_none(api):
    alerts = [make_alert(f"ok-{n}") for n in range(5)]
    alerts[3]["accounts"] = [{"external_id": ""}]

    response = api.post({"alerts": alerts})

    assert response.status_code == 400
    assert only_error(response) == {
        "index": 3,
        "field": "accounts[0].external_id",
        "message": only_error(response)["message"],
    }
    assert_nothing_stored()


def test_it_lists_every_bad_alert(api):
    alerts = [make_alert("a"), without("kind"), make_alert("c", severity="x")]

    errors = api.post({"alerts": alerts}).json()["errors"]

    assert [(e["index"], e["field"]) for e in errors] == [(1, "kind"), (2, "severity")]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"  ",
        b'{"alerts": [',
        b"[]",
        json.dumps([make_alert("in-array")]).encode(),
        b'"a string"',
        b"null",
        b"42",
        b'{"alerts": []}',
        json.dumps({"alerts": [make_alert(f"m{n}") for n in range(1001)]}).encode(),
        b'{"alerts": {"external_id": "x"}}',
        b'{"alerts": null}',
        b'{"alerts": [42]}',
        b"{}",
        b'{"external_id": "x", "kind": "a", "severity": "low", "observed_at": NaN}',
        b'{"external_id": "x\xff", "kind": "a", "severity": "low"}',
    ],
    ids=[
        "not-json",
        "empty",
        "truncated",
        "empty-array",
        "top-level-array",
        "string",
        "null",
        "number",
        "no-alerts",
        "too-many-alerts",
        "alerts-object",
        "alerts-null",
        "alerts-number",
        "empty-object",
        "nan",
        "not-utf8",
    ],
)
def test_it_refuses_a_body_that_is_not_an_alert_or_envelope(api, body):
    response = api.post(body)

    assert response.status_code == 400
    assert_nothing_stored()


def test_a_top_level_array_error_has_no_index_or_field(api):
    response = api.post([make_alert("x")])

    assert only_error(response)["index"] is None
    assert only_error(response)["field"] is None


def test_it_refuses_a_body_that_is_both_alert_and_envelope(api):
    body = make_alert("both", alerts=[make_alert("inner")])

    assert api.post(body).status_code == 400
    assert_nothing_stored()


def test_an_envelope_with_a_null_external_id_is_an_envelope(api):
    response = api.post({"external_id": None, "alerts": [make_alert("in-envelope")]})

    assert response.status_code == 202
    assert Alert.objects.get().external_id == "in-envelope"


def test_an_alert_with_an_unknown_alerts_field_is_one_alert(api):
    response = api.post(make_alert("lone", alerts="not an envelope"))

    assert response.status_code == 202
    assert Alert.objects.get().external_id == "lone"


def test_it_refuses_a_million_levels_of_nesting(api):
    body = (
        b'{"external_id": "deep", "kind": "a", "severity": "low", '
        b'"observed_at": "2026-11-28T09:14:03Z", "extra": {"x": '
        + b"[" * 1_000_000
        + b"]" * 1_000_000
        + b"}}"
    )
    response = api.post(body)

    assert response.status_code == 400
    assert_nothing_stored()


def test_it_refuses_deep_nesting_in_an_unknown_field(api):
    body = b'{"alerts": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"

    assert api.post(body).status_code == 400
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("alert", "field"),
    [
        (make_alert("nul", title="a\u0000b"), "title"),
        (make_alert("\u0000"), "external_id"),
        (make_alert("nul", labels=["ok", "x\u0000"]), "labels[1]"),
        (make_alert("nul", extra={"deep": {"k": ["\u0000"]}}), "extra.deep.k[0]"),
        (make_alert("nul", extra={"k\u0000": 1}), "extra.k\u0000"),
        (make_alert("nul", unknown_field="\u0000"), "unknown_field"),
        (make_alert("sur", title="a\ud800b"), "title"),
        (make_alert("sur", extra={"x": "\udc00"}), "extra.x"),
        (with_field("accounts.0.external_id", "acct\u0000"), "accounts[0].external_id"),
        (with_field("samples.0.prompt_excerpt", "\ud83d"), "samples[0].prompt_excerpt"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_it_refuses_nul_and_unpaired_surrogates_naming_the_field(api, alert, field):
    response = api.post({"alerts": [make_alert("fine"), alert]})

    assert response.status_code == 400
    error = only_error(response)
    assert error["index"] == 1
    assert error["field"] == field.replace("\u0000", "\ufffd")
    assert_nothing_stored()


def test_an_escaped_backslash_before_u0000_is_ordinary_text(api):
    response = api.post(make_alert("bs", title="C:\\u0000\\dir"))

    assert response.status_code == 202
    assert Alert.objects.get().title == "C:\\u0000\\dir"


def test_it_answers_413_to_a_body_over_the_limit(api):
    alert = make_alert("big", extra={"blob": "e" * (10 * 1024 * 1024)})

    response = api.post(alert)

    assert response.status_code == 413
    assert only_error(response)["index"] is None
    assert_nothing_stored()


def test_it_refuses_a_ten_megabyte_extra_when_the_body_limit_allows_it(api, settings):
    settings.ALERTS_MAX_BODY_BYTES = 20 * 1024 * 1024

    response = api.post(make_alert("big", extra={"blob": "e" * (10 * 1024 * 1024)}))

    assert response.status_code == 400
    assert only_error(response)["field"] == "extra"
    assert_nothing_stored()


def test_the_size_limit_applies_to_the_decompressed_body(api, settings):
    settings.ALERTS_MAX_BODY_BYTES = 64 * 1024
    raw = json.dumps({"alerts": [make_alert(f"z{n}") for n in range(200)]}).encode()
    assert len(gzip.compress(raw)) < 64 * 1024 < len(raw)

    response = api.post(raw, gzipped=True)

    assert response.status_code == 413
    assert_nothing_stored()


def test_it_stops_a_gzip_bomb_at_the_limit(api):
    bomb = gzip.compress(b" " * (200 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 1024 * 1024

    response = api.client.generic(
        "POST",
        "/api/v1/alerts/",
        bomb,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}", "Content-Encoding": "gzip"},
    )

    assert response.status_code == 413
    assert_nothing_stored()


def test_it_refuses_a_truncated_gzip_body(api):
    body = gzip.compress(json.dumps(make_alert("cut")).encode())[:-12]
    response = api.client.generic(
        "POST",
        "/api/v1/alerts/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}", "Content-Encoding": "gzip"},
    )

    assert response.status_code == 400
    assert_nothing_stored()


def test_it_refuses_a_body_that_is_not_gzip_despite_the_header(api):
    response = api.client.generic(
        "POST",
        "/api/v1/alerts/",
        json.dumps(make_alert("g")).encode(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}", "Content-Encoding": "gzip"},
    )

    assert response.status_code == 400
    assert_nothing_stored()


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""]
)
def test_it_answers_415_to_another_content_type(api, content_type):
    response = api.post(make_alert("ct"), content_type=content_type)

    assert response.status_code == 415
    assert only_error(response)["field"] is None
    assert_nothing_stored()


def test_it_answers_415_to_an_unknown_content_encoding(api):
    response = api.post(make_alert("br"), headers={"Content-Encoding": "br"})

    assert response.status_code == 415
    assert_nothing_stored()


def _with_raw_extra(number: bytes) -> bytes:
    alert = json.dumps(make_alert("num")).encode()
    return alert[:-1] + b', "extra": {"n": [1, ' + number + b"]}}"


@pytest.mark.parametrize(
    "number", [b"1e200000", b"1e-16384", b"1" * 140_000, b"0." + b"0" * 16_383 + b"1"]
)
def test_it_refuses_numbers_postgresql_cannot_store(api, number):
    response = api.post(_with_raw_extra(number))

    assert response.status_code == 400
    assert only_error(response)["field"] == "extra.n[1]"
    assert_nothing_stored()


@pytest.mark.parametrize("number", [b"1e10000", b"1e-16383", b"-2.5E+00099", b"1" * 2000])
def test_it_stores_large_numbers_postgresql_can_hold(api, number):
    response = api.post(_with_raw_extra(number))

    assert response.status_code == 202


def test_it_refuses_a_confidence_too_large_to_parse(api):
    alert = (
        json.dumps(make_alert("c")).encode().replace(b'"confidence": 0.91', b'"confidence": 1e400')
    )

    response = api.post(alert)

    assert response.status_code == 400
    assert only_error(response)["field"] == "confidence"


def test_number_like_text_is_ordinary_text(api):
    response = api.post(make_alert("t", title="error e123456", extra={"note": "7" * 1200}))

    assert response.status_code == 202
