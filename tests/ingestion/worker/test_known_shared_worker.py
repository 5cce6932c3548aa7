"""A known-shared payment processor through real workers: it joins nothing, its honest accounts
stay apart, while the operator sharing it with them stays one case."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth.models import Group, User

from cases import workflow
from ingestion.detectors import create_detector
from ingestion.models import Alert
from tests.ingestion.correlation_helpers import post
from tests.ingestion.worker.conftest import wait_for
from tests.ingestion.worker.test_import_pipeline import finished

pytestmark = pytest.mark.integration

PROCESSOR = "pf_reseller_processor"


@pytest.fixture
def token(transactional_db):
    return create_detector("reseller-watch", rate=0).token


def _alert(external_id: str, account: str, **extra) -> dict:
    return {
        "external_id": external_id,
        "kind": "distillation.cot_elicitation",
        "severity": "medium",
        "observed_at": "2026-11-28T09:14:03Z",
        "accounts": [{"external_id": account, "payment_fingerprint": PROCESSOR}],
        **extra,
    }


def test_a_known_shared_processor_joins_nothing_through_two_workers(client, start_worker, token):
    lead = User.objects.create(username="lead-on-duty")
    lead.groups.add(Group.objects.get_or_create(name="lead")[0])
    workflow.add_known_shared(
        "payment_fingerprint", PROCESSOR, actor=lead, reason="The reseller's processor"
    )
    cluster = [{"type": "prompt_cluster", "value": "pc-operator"}]
    honest = [_alert(f"honest-{n}", f"acct_honest_{n}") for n in range(40)]
    operator = [_alert(f"op-{n}", f"acct_op_{n}", indicators=cluster) for n in range(40)]
    alerts = honest + operator
    random.Random(12).shuffle(alerts)

    start_worker()
    start_worker()
    batches = [
        post(client, token, alerts[start : start + 10])["batch"] for start in range(0, 80, 10)
    ]
    wait_for(lambda: finished(batches), timeout=120, what="every batch to be imported")

    cases = dict(Alert.objects.values_list("external_id", "case_id"))
    honest_cases = {cases[f"honest-{n}"] for n in range(40)}
    operator_cases = {cases[f"op-{n}"] for n in range(40)}
    assert len(honest_cases) == 40
    assert len(operator_cases) == 1
    assert honest_cases.isdisjoint(operator_cases)
