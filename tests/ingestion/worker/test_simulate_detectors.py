"""``manage.py simulate_detectors`` posts over HTTP to a running Dossier with a worker."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cases.models import Case, CaseAccount, KnownSharedValue
from ingestion.models import Alert, Batch
from ingestion.simulator import campaign

pytestmark = pytest.mark.integration


def test_the_simulator_fills_a_fresh_dossier_with_one_case_per_operator(live_server, start_worker):
    start_worker()
    out = io.StringIO()

    call_command(
        "simulate_detectors", url=live_server.url, workload="demo", seed=4, wait=60, stdout=out
    )

    text = out.getvalue()
    assert "Batches:" in text and "pending" not in text.split("Batches:")[1], text
    # Three operators and the benign heavy user, each in a case of their own.
    assert Case.objects.count() == 4
    assert Alert.objects.filter(status="imported").count() == Alert.objects.count()
    # The retried batch and the repeated alert were counted as duplicates.
    assert Batch.objects.filter(accepted=0, duplicates__gt=0).exists()
    assert "duplicates" in text

    again = io.StringIO()
    call_command(
        "simulate_detectors", url=live_server.url, workload="demo", seed=4, wait=60, stdout=again
    )
    assert Case.objects.count() == 4
    assert " 0 accepted" in again.getvalue()


def test_the_simulator_posts_campaign_traffic_by_default(live_server, start_worker, make_user):
    make_user("lead", username="lee")
    start_worker()
    out = io.StringIO()

    call_command(
        "simulate_detectors", url=live_server.url, alerts=400, largest=120, wait=90, stdout=out
    )

    text = out.getvalue()
    assert "Batches:" in text and "pending" not in text.split("Batches:")[1], text
    assert "operators of Lanternfish 120" in text and "honest accounts" in text
    # Resends are duplicates; every other alert is imported once.
    assert Alert.objects.filter(status="imported").count() == Alert.objects.count()
    assert 300 < Alert.objects.count() < 400
    assert Batch.objects.filter(duplicates__gt=0).exists()
    assert Case.objects.exists()
    # The reseller's payment processor was listed first: its customers stay apart.
    (shared,) = KnownSharedValue.objects.all()
    assert shared.added_by.username == "lee" and shared.type == "payment_fingerprint"
    assert "on the known-shared list" in text
    truth = campaign(400, seed=7, prefix="sim-7-", largest=120)
    customers = [a for a, kind in truth.honest_of.items() if kind == "reseller"]
    links = CaseAccount.objects.filter(account__external_id__in=customers)
    assert links.exists()
    assert links.values("case").distinct().count() == links.count()
