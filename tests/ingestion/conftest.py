"""Fixtures for the alerts API tests.

Every body a test posts goes through ``AlertsClient.post``, which also checks
it against the published JSON Schema: a body the server accepts must pass the
schema, and a body the schema rejects must get 400 (unless refused before
validation: 401, 413, 415, 429). The schema and the code cannot drift apart.
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from ingestion.detectors import create_detector

# The schema Dossier publishes to detectors (docs/alerts-api.md).
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "alert-v1.schema.json"
REFUSED_BEFORE_VALIDATION = {401, 403, 413, 415, 429}

ALERT = {
    "external_id": "cot-2026-11-28-000017",
    "kind": "distillation.cot_elicitation",
    "severity": "high",
    "confidence": 0.91,
    "observed_at": "2026-11-28T09:14:03Z",
    "title": "Templated reasoning-elicitation prompts from 41 new accounts",
    "accounts": [{"external_id": "acct_8f2c", "payment_fingerprint": "pf_77ab", "country": "SG"}],
    "indicators": [
        {"type": "asn", "value": "AS64500"},
        {"type": "cidr", "value": "198.51.100.0/24"},
        {"type": "prompt_cluster", "value": "pc-5531"},
    ],
    "metrics": {
        "requests": 182344,
        "tokens_out": 912000000,
        "window_start": "2026-11-27T09:00:00Z",
        "window_end": "2026-11-28T09:00:00Z",
    },
    "samples": [{"prompt_excerpt": "Deliver data-driven insights...", "request_id": "req_01"}],
    "campaign_hint": "cluster-7",
}


def make_alert(external_id: str = "a-1", **fields) -> dict:
    alert = copy.deepcopy(ALERT)
    alert["external_id"] = external_id
    alert.update(fields)
    return alert


def published_schema() -> dict:
    if not SCHEMA_PATH.is_file():
        pytest.fail(f"The published schema is missing: expected {SCHEMA_PATH.resolve()}.")
    return json.loads(SCHEMA_PATH.read_text())


def _load_validator() -> Draft202012Validator:
    schema = published_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


VALIDATOR = None


def schema_accepts(raw: bytes) -> bool:
    global VALIDATOR
    if VALIDATOR is None:
        VALIDATOR = _load_validator()
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return VALIDATOR.is_valid(document)


class AlertsClient:
    url = "/api/v1/alerts/"

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def post(
        self,
        body,
        *,
        token: str | None = None,
        content_type: str = "application/json",
        gzipped: bool = False,
        headers: dict | None = None,
    ):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = gzip.compress(raw) if gzipped else raw
        all_headers = {"Authorization": f"Bearer {token or self.token}", **(headers or {})}
        if gzipped:
            all_headers["Content-Encoding"] = "gzip"
        response = self.client.generic(
            "POST", self.url, sent, content_type=content_type, headers=all_headers
        )
        assert response.status_code != 500
        valid = schema_accepts(raw)
        if response.status_code == 202:
            assert valid, "the server accepted a body the published schema rejects"
        if not valid and response.status_code not in REFUSED_BEFORE_VALIDATION:
            assert response.status_code == 400, (
                f"the schema rejects this body but the server answered {response.status_code}"
            )
        if response.status_code >= 400:
            assert_error_shape(response)
        return response

    def get(self, path: str, *, token: str | None = None, **params):
        return self.client.get(
            path, params, headers={"Authorization": f"Bearer {token or self.token}"}
        )


def assert_error_shape(response) -> None:
    body = response.json()
    assert set(body) == {"errors"}, body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"index", "field", "message"}, error
        assert isinstance(error["message"], str) and error["message"]


@pytest.fixture
def detector(db):
    issued = create_detector("scanner", description="prompt classifier", rate=0)
    return issued


@pytest.fixture
def api(client, detector) -> AlertsClient:
    return AlertsClient(client, detector.token)


@pytest.fixture
def private_broker(private_redis, settings, monkeypatch):
    """Point Celery (settings and the already configured app) at a private broker."""
    from dossier.celery import app

    previous = app.conf.broker_url
    settings.CELERY_BROKER_URL = private_redis.url
    # Celery reads this variable before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)

    def reset_pools() -> None:
        # Connections already made would still reach the previous broker.
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url = private_redis.url
    reset_pools()
    yield private_redis
    app.conf.broker_url = previous
    reset_pools()
