"""The alerts API behind gunicorn, as detectors reach it: real HTTP, real limits."""

from __future__ import annotations

import gzip
import json

import pytest
import requests

from ingestion.detectors import create_detector
from ingestion.models import Alert, Batch
from tests.ingestion.conftest import make_alert, schema_accepts


@pytest.fixture
def server(gunicorn_server):
    """The alerts API of gunicorn serving the test database."""
    return f"{gunicorn_server()}/api/v1/alerts/"


@pytest.fixture
def token(transactional_db):
    return create_detector("scanner", rate=0).token


def post(url: str, token: str, data, **headers):
    return requests.post(
        url,
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
        timeout=60,
    )


def test_it_accepts_alerts_over_http(server, token, private_redis):
    body = json.dumps({"alerts": [make_alert("h-1"), make_alert("h-2")]}).encode()
    assert schema_accepts(body)

    response = post(server, token, body)

    assert response.status_code == 202
    assert Alert.objects.count() == 2
    assert private_redis.client.llen("celery") == 1


def test_it_answers_413_over_http_before_reading_a_large_body(server, token):
    body = json.dumps(make_alert("big", extra={"blob": "e" * (6 * 1024 * 1024)})).encode()

    response = post(server, token, body)

    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] is None
    assert Batch.objects.count() == 0


def test_it_accepts_a_chunked_gzip_body(server, token):
    raw = json.dumps({"alerts": [make_alert(f"c-{n}") for n in range(20)]}).encode()
    packed = gzip.compress(raw)

    def chunks():
        for start in range(0, len(packed), 1000):
            yield packed[start : start + 1000]

    response = post(server, token, chunks(), **{"Content-Encoding": "gzip"})

    assert response.status_code == 202, response.text
    assert bytes(Batch.objects.get().raw_body) == raw


def test_a_chunked_body_over_the_limit_is_413(server, token):
    def chunks():
        yield b'{"alerts": ['
        for _ in range(6 * 1024):
            yield b" " * 1024
        yield b"]}"

    response = post(server, token, chunks())

    assert response.status_code == 413
    assert Batch.objects.count() == 0
