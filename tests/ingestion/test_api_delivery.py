"""Rate limits and the broker: an accepted alert is stored whatever Redis does."""

from __future__ import annotations

import logging

from ingestion.detectors import create_detector
from ingestion.models import Alert, Batch
from tests.ingestion.conftest import AlertsClient, assert_error_shape, make_alert


def test_it_publishes_the_import_once_stored(
    api, private_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(make_alert("queued"))

    assert response.status_code == 202
    assert private_broker.client.llen("celery") == 1
    message = private_broker.client.lindex("celery", 0)
    assert b"ingestion.tasks.import_batch" in message
    assert response.json()["batch"].encode() in message


def test_it_answers_202_and_keeps_the_alert_when_the_broker_is_down(
    api, private_broker, django_capture_on_commit_callbacks, caplog
):
    private_broker.stop()

    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING):
        response = api.post({"alerts": [make_alert("safe-1"), make_alert("safe-2")]})
        again = api.post({"alerts": [make_alert("safe-3")]})

    assert response.status_code == 202 and again.status_code == 202
    assert response.json()["accepted"] == 2
    assert set(Alert.objects.values_list("external_id", flat=True)) == {
        "safe-1",
        "safe-2",
        "safe-3",
    }
    # The sweeper will enqueue them.
    assert set(Batch.objects.values_list("status", flat=True)) == {"pending"}
    assert caplog.text.count("could not publish import") == 1


def test_an_all_duplicate_batch_publishes_nothing(
    api, private_broker, django_capture_on_commit_callbacks
):
    api.post(make_alert("once"))

    with django_capture_on_commit_callbacks(execute=True):
        api.post(make_alert("once"))

    assert private_broker.client.llen("celery") == 0


def test_it_answers_429_with_retry_after_over_the_rate(client, db, private_redis, settings):
    settings.REDIS_URL = private_redis.url
    limited = AlertsClient(client, create_detector("limited", rate=2).token)

    assert limited.post(make_alert("r-1")).status_code == 202
    assert limited.post(make_alert("r-2")).status_code == 202
    response = limited.post(make_alert("r-3"))

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert_error_shape(response)
    assert not Alert.objects.filter(external_id="r-3").exists()


def test_rate_limits_are_per_detector(client, db, private_redis, settings):
    settings.REDIS_URL = private_redis.url
    first = AlertsClient(client, create_detector("first", rate=1).token)
    second = AlertsClient(client, create_detector("second", rate=1).token)

    assert first.post(make_alert("p-1")).status_code == 202
    assert second.post(make_alert("p-1")).status_code == 202
    assert first.post(make_alert("p-2")).status_code == 429


def test_a_rate_of_zero_is_unlimited(client, db, private_redis, settings):
    settings.REDIS_URL = private_redis.url
    unlimited = AlertsClient(client, create_detector("unlimited", rate=0).token)

    for n in range(5):
        assert unlimited.post(make_alert(f"u-{n}")).status_code == 202


def test_it_lets_requests_through_when_the_rate_store_is_down(
    client, db, private_redis, settings, caplog
):
    settings.REDIS_URL = private_redis.url
    limited = AlertsClient(client, create_detector("limited", rate=1).token)
    private_redis.stop()

    with caplog.at_level(logging.WARNING, logger="ingestion.ratelimit"):
        assert limited.post(make_alert("d-1")).status_code == 202
        assert limited.post(make_alert("d-2")).status_code == 202

    assert "rate limit store unreachable" in caplog.text
    # After one failure the store is left alone for a moment: one warning, not one per request.
    assert caplog.text.count("rate limit store unreachable") == 1
    assert Alert.objects.count() == 2
