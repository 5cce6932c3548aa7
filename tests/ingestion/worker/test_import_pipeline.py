"""The import pipeline end to end: real Celery workers, a real (private) Redis broker,
real PostgreSQL. Alerts are posted through the API; workers import them."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.db.models import Count, Sum

from audit.models import AuditEvent
from cases.models import Case, CaseAccount, Evidence
from ingestion.correlation_keys import CorrelationKey
from ingestion.detectors import create_detector
from ingestion.models import Alert, Batch
from ingestion.simulator import scenario
from tests.ingestion.correlation_helpers import post
from tests.ingestion.worker.conftest import wait_for

pytestmark = pytest.mark.integration


def synthetic(prefix: str, count: int) -> list[dict]:
    """Alerts heavy enough that importing a batch takes a noticeable moment."""
    return [
        {
            "external_id": f"{prefix}-{n}",
            "kind": "distillation.cot_elicitation",
            "severity": ("low", "medium", "high", "critical")[n % 4],
            "observed_at": "2026-11-28T09:14:03Z",
            "title": f"Synthetic finding {n}",
            "accounts": [
                {
                    "external_id": f"{prefix}-acct-{n}",
                    "payment_fingerprint": f"{prefix}-pf-{n // 3}",
                },
                {"external_id": f"{prefix}-acct-{n}-b", "email_domain": "mail.example"},
            ],
            "indicators": [
                {"type": "ip", "value": f"10.{n % 250}.{n // 250 % 250}.7"},
                {"type": "asn", "value": "AS64512"},
                {"type": "device_fingerprint", "value": f"{prefix}-dfp-{n // 5}"},
            ],
            "samples": [{"prompt_excerpt": f"Explain step {n} in detail", "request_id": f"r{n}"}],
            "metrics": {"requests": 1000 + n},
        }
        for n in range(count)
    ]


def finished(batch_ids) -> bool:
    return not Batch.objects.filter(pk__in=batch_ids, status__in=["pending", "importing"]).exists()


def summary() -> dict:
    """What a client could observe of the whole import, for exactly-once comparisons."""
    return {
        "cases": Case.objects.count(),
        "alerts_per_case": sorted(Case.objects.values_list("alert_count", flat=True)),
        "case_alert_total": Case.objects.aggregate(total=Sum("alert_count"))["total"],
        "evidence": dict(
            Evidence.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
        ),
        "case_accounts": CaseAccount.objects.count(),
        "keys": CorrelationKey.objects.count(),
        "imported": Alert.objects.filter(status="imported").count(),
        "batch_events": AuditEvent.objects.filter(verb="batch.imported").count(),
        "cases_of_alerts": sorted(
            Alert.objects.values_list("external_id", "case__title").order_by("external_id")
        ),
    }


@pytest.fixture
def token(transactional_db):
    return create_detector("pipeline", rate=0).token


def test_a_posted_batch_becomes_cases(client, start_worker, token):
    start_worker()
    world = scenario(seed=21)

    answer = post(client, token, world.alerts)

    wait_for(lambda: finished([answer["batch"]]), timeout=60, what="the batch to be imported")
    batch = Batch.objects.get(pk=answer["batch"])
    assert batch.status == "imported"
    assert batch.imported == len(world.alerts)
    for op in world.operators:
        cases = {Alert.objects.get(external_id=a["external_id"]).case_id for a in op.alerts}
        assert len(cases) == 1
    # The detector can follow its alerts to the case they became.
    lookup = client.get(
        "/api/v1/alerts/lookup/",
        {"external_id": world.alerts[0]["external_id"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert lookup.json()["case"]["status"] == "new"
    assert AuditEvent.objects.filter(verb="batch.imported").count() == 1


def test_a_worker_killed_mid_batch_imports_every_alert_exactly_once(client, start_worker, token):
    batches = [post(client, token, synthetic(f"k{n}", 700))["batch"] for n in range(4)]
    worker = start_worker(beat=True)

    wait_for(
        lambda: Batch.objects.filter(status="importing").exists(),
        timeout=60,
        interval=0.01,
        what="a batch to be in the middle of its import",
    )
    worker.kill()
    interrupted = Batch.objects.filter(status="importing").count()
    worker.start()

    wait_for(lambda: finished(batches), timeout=120, what="every batch to be imported")
    assert interrupted == 1
    assert set(Batch.objects.values_list("status", flat=True)) == {"imported"}
    observed = summary()
    assert observed["imported"] == 4 * 700
    assert observed["evidence"]["alert"] == 4 * 700
    assert observed["evidence"]["sample"] == 4 * 700
    assert observed["case_alert_total"] == 4 * 700
    assert observed["batch_events"] == 4
    # The interrupted batch needed a second claim; none needed a third.
    assert sorted(Batch.objects.values_list("attempts", flat=True)) == [1, 1, 1, 2]


def test_with_the_broker_down_posts_succeed_and_import_when_it_returns(
    client, start_worker, redis_broker, token
):
    start_worker(beat=True)
    redis_broker.stop()

    answer = post(client, token, synthetic("down", 20))
    assert Batch.objects.get(pk=answer["batch"]).status == "pending"

    time.sleep(2)
    redis_broker.start()
    wait_for(lambda: finished([answer["batch"]]), timeout=90, what="the import after the outage")
    assert Batch.objects.get(pk=answer["batch"]).status == "imported"
    assert Alert.objects.filter(status="imported").count() == 20


def test_a_batch_delivered_twice_yields_the_same_database_as_once(
    client, start_worker, redis_broker, token
):
    from ingestion.tasks import import_batch

    answer = post(client, token, scenario(seed=8).alerts)
    import_batch.delay(answer["batch"])  # a duplicate message, already queued
    start_worker()
    wait_for(lambda: finished([answer["batch"]]), timeout=60, what="the import")
    wait_for(lambda: redis_broker.queue_length() == 0, timeout=30, what="the queue to drain")
    once = summary()

    import_batch.delay(answer["batch"])
    import_batch.delay(answer["batch"])
    wait_for(lambda: redis_broker.queue_length() == 0, timeout=30, what="the queue to drain")
    time.sleep(1)
    assert summary() == once
    assert once["batch_events"] == 1


def test_two_workers_given_the_same_batch_import_it_once(client, start_worker, token):
    from ingestion.tasks import import_batch

    start_worker(name="left")
    start_worker(name="right")
    answers = [post(client, token, synthetic(f"two{n}", 300)) for n in range(3)]
    for answer in answers:
        import_batch.delay(answer["batch"])  # each batch reaches both workers

    wait_for(lambda: finished([a["batch"] for a in answers]), timeout=90, what="the imports")
    observed = summary()
    assert observed["imported"] == 900
    assert observed["evidence"]["alert"] == 900
    assert observed["case_alert_total"] == 900
    assert observed["batch_events"] == 3


def other_backends() -> set[int]:
    """PostgreSQL backends on the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def test_a_worker_keeps_its_connection_and_reconnects_when_it_is_cut(client, start_worker, token):
    start_worker()
    first = post(client, token, synthetic("c1", 20))["batch"]
    wait_for(lambda: finished([first]), timeout=60, what="the first batch to be imported")
    kept = other_backends()
    second = post(client, token, synthetic("c2", 20))["batch"]
    wait_for(lambda: finished([second]), timeout=60, what="the second batch to be imported")
    assert kept and other_backends() == kept

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [list(kept)]
        )
    third = post(client, token, synthetic("c3", 20))["batch"]

    wait_for(lambda: finished([third]), timeout=60, what="the third batch to be imported")
    batch = Batch.objects.get(pk=third)
    # Imported on its first attempt: the dead connection was noticed and replaced.
    assert (batch.status, batch.imported, batch.attempts) == ("imported", 20, 1)
    assert other_backends().isdisjoint(kept)
