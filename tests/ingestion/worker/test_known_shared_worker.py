"""Through real workers: a known-shared payment processor joins nothing, its honest accounts
stay apart while the operator sharing it with them stays one case; a value reaching a
protected account is flagged, and a lead lists it."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth.models import Group, User

from cases import workflow
from cases.models import Account, Case, KnownSharedValue, ReviewFlag
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


def test_a_value_reaching_a_protected_account_is_flagged_and_a_lead_lists_it(
    client, start_worker, token
):
    fleet = "pf_enterprise_fleet"
    Account.objects.create(
        external_id="acct_enterprise", is_protected=True, payment_fingerprint=fleet
    )
    lead = User.objects.create(username="lead-on-duty")
    lead.groups.add(Group.objects.get_or_create(name="lead")[0])
    start_worker()
    first = post(
        client,
        token,
        [
            {
                "external_id": "ent-1",
                "kind": "distillation.cot_elicitation",
                "severity": "low",
                "observed_at": "2026-11-28T09:14:03Z",
                "accounts": [{"external_id": "acct_enterprise", "payment_fingerprint": fleet}],
            }
        ],
    )["batch"]
    wait_for(lambda: finished([first]), timeout=60, what="the enterprise's batch")
    second = post(
        client,
        token,
        [
            _alert("op-1", "acct_op_1")
            | {"accounts": [{"external_id": "acct_op_1", "payment_fingerprint": fleet}]}
        ],
    )["batch"]
    wait_for(lambda: finished([second]), timeout=60, what="the operator's batch")

    enterprise_case = Alert.objects.get(external_id="ent-1").case_id
    operator_case = Alert.objects.get(external_id="op-1").case_id
    assert operator_case != enterprise_case
    assert enterprise_case in Case.objects.get(pk=operator_case).related_cases.values_list(
        "pk", flat=True
    )
    flag = ReviewFlag.objects.get(case_id=operator_case, indicator__value=fleet)
    workflow.resolve_flag(flag, "list", actor=lead, reason="The enterprise's fleet processor")
    assert KnownSharedValue.objects.filter(value=fleet).exists()
    assert set(ReviewFlag.objects.values_list("status", flat=True)) == {"listed"}
