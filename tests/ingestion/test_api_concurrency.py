"""Detectors retry: concurrent posts of the same alerts store each alert once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from ingestion.detectors import create_detector
from ingestion.models import Alert, AlertKey, Batch
from tests.ingestion.conftest import AlertsClient, make_alert


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_overlapping_alerts_store_each_once(private_broker):
    token = create_detector("racer", rate=0).token
    # Each request holds the same ids in a different order: sorted key inserts
    # keep the transactions from deadlocking.
    ids = [f"race-{n}" for n in range(300)]
    bodies = [{"alerts": [make_alert(i) for i in ids[::step]]} for step in (1, -1, 2, -2, 3, -3)]
    answers: list = []
    barrier = threading.Barrier(len(bodies))

    def post(body):
        try:
            barrier.wait()
            answers.append(AlertsClient(Client(), token).post(body))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [202] * len(bodies)
    assert sum(a.json()["accepted"] for a in answers) == len(ids)
    assert sum(a.json()["duplicates"] for a in answers) == sum(
        len(b["alerts"]) for b in bodies
    ) - len(ids)
    assert Alert.objects.count() == AlertKey.objects.count() == len(ids)
    assert Batch.objects.count() == len(bodies)
    # Every batch with new alerts was published for import.
    assert private_broker.client.llen("celery") == sum(1 for a in answers if a.json()["accepted"])
