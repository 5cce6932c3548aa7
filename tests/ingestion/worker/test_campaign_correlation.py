"""A campaign-sized operator through real workers: one network ends in one case.

Real Celery workers (two, importing at once), a real broker and PostgreSQL;
alerts are posted through the API in random order, ``INDICATOR_COMMON_CAP``
at its default.
"""

from __future__ import annotations

import random

import pytest
from django.conf import settings

from audit.models import AuditEvent
from cases.models import Case, CaseAccount, Indicator
from cases.queries import audit_trail
from cases.workflow import add_note
from ingestion.correlation_keys import CorrelationKey
from ingestion.detectors import create_detector
from ingestion.models import Alert, Batch
from tests.ingestion.correlation_helpers import alert, post
from tests.ingestion.worker.conftest import wait_for

pytestmark = pytest.mark.integration

ACCOUNTS = 2000
FINGERPRINTS = 20
ASN = "AS64512"
CLUSTER = "pc-campaign"


@pytest.fixture
def token(transactional_db):
    return create_detector("campaign", rate=0).token


def finished(batch_ids) -> bool:
    return not Batch.objects.filter(pk__in=batch_ids, status__in=["pending", "importing"]).exists()


def operator_alerts(seed: int) -> list[dict]:
    """One alert per account, no campaign hint. One alert in three names the
    prompt cluster; the others tie only by their account's payment fingerprint
    (each fingerprint has both kinds), so cases opened apart early are merged later."""
    rng = random.Random(seed)
    alerts = []
    for n in range(ACCOUNTS):
        indicators = [{"type": "asn", "value": ASN}]
        if n % 3 == 0:
            indicators.append({"type": "prompt_cluster", "value": CLUSTER})
        alerts.append(
            alert(
                f"op-{n}",
                accounts=[
                    {
                        "external_id": f"op-acct-{n}",
                        "payment_fingerprint": f"pf-op-{n % FINGERPRINTS}",
                    }
                ],
                indicators=indicators,
            )
        )
    rng.shuffle(alerts)
    return alerts


def test_an_operator_of_2000_accounts_ends_in_one_case(client, start_worker, token):
    assert settings.INDICATOR_COMMON_CAP == 50
    start_worker(name="w1")
    start_worker(name="w2")
    alerts = operator_alerts(seed=12)
    batches = [post(client, token, alerts[i : i + 40])["batch"] for i in range(0, ACCOUNTS, 40)]
    # Someone else behind the same proxy ASN, nothing else shared.
    bystander = post(
        client,
        token,
        [
            alert(
                "bystander",
                accounts=[{"external_id": "acct-bystander"}],
                indicators=[{"type": "asn", "value": ASN}],
            )
        ],
    )["batch"]

    wait_for(lambda: finished([*batches, bystander]), timeout=240, what="every batch imported")
    assert set(Batch.objects.values_list("status", flat=True)) == {"imported"}
    cases = set(
        Alert.objects.filter(external_id__startswith="op-").values_list("case_id", flat=True)
    )
    assert len(cases) == 1
    (case_id,) = cases
    case = Case.objects.get(pk=case_id)
    assert case.status == "new"
    assert CaseAccount.objects.filter(case=case).count() == ACCOUNTS
    assert case.account_count == ACCOUNTS and case.alert_count == ACCOUNTS
    assert Case.objects.exclude(status="closed").count() == 2  # the operator, the bystander
    assert Alert.objects.get(external_id="bystander").case_id != case_id
    # Every case opened apart was merged into the one, each with its reason.
    assert Case.objects.filter(status="closed").exists()
    for merged in Case.objects.filter(status="closed"):
        assert (merged.resolution, merged.merged_into_id) == ("duplicate", case_id)
        (event,) = AuditEvent.objects.filter(verb="case.merged_into", target_id=str(merged.pk))
        assert "shares" in event.reason
    asn = Indicator.objects.get(type="asn", value=ASN)
    assert asn.is_too_common
    assert not CorrelationKey.objects.filter(indicator=asn).exists()
    cluster = Indicator.objects.get(type="prompt_cluster", value=f"campaign/{CLUSTER}")
    assert not cluster.is_too_common and cluster.account_count == len(range(0, ACCOUNTS, 3))
    assert not Indicator.objects.filter(type="payment_fingerprint", is_too_common=True).exists()


def test_worked_cases_are_related_and_untouched_ones_merged(client, start_worker, token, make_user):
    start_worker(name="w1")
    start_worker(name="w2")

    def imported(alerts: list[dict]) -> None:
        batch = post(client, token, alerts)["batch"]
        wait_for(lambda: finished([batch]), timeout=60, what="the batch imported")

    for name in ("first", "second", "red", "worked"):
        imported(
            [
                alert(
                    name,
                    accounts=[{"external_id": f"acct-{name}", "payment_fingerprint": f"pf-{name}"}],
                )
            ]
        )
    first, second, red, worked = (
        Alert.objects.get(external_id=name).case_id for name in ("first", "second", "red", "worked")
    )
    Case.objects.filter(pk=red).update(tlp="red")
    lead = make_user("lead")
    add_note(worked, "this one is ours", actor=make_user("investigator"))

    # Ties three untouched cases: merged into the oldest, the reason on each trail.
    imported(
        [
            alert(
                "bridge",
                accounts=[
                    {"external_id": "acct-b1", "payment_fingerprint": "pf-first"},
                    {"external_id": "acct-b2", "payment_fingerprint": "pf-second"},
                    {"external_id": "acct-b3", "payment_fingerprint": "pf-red"},
                ],
            )
        ]
    )
    survivor = Case.objects.get(pk=first)
    assert survivor.tlp == "red" and survivor.status == "new"
    for pk in (second, red):
        merged = Case.objects.get(pk=pk)
        assert (merged.status, merged.resolution, merged.merged_into_id) == (
            "closed",
            "duplicate",
            first,
        )
        (event,) = AuditEvent.objects.filter(verb="case.merged_into", target_id=str(pk))
        assert "shares payment fingerprint pf-" in event.reason
    assert {e.verb for e in audit_trail(survivor)} >= {"case.merged", "case.merged_into"}

    # Ties the survivor to a case a person worked: related, offered, never merged.
    imported(
        [
            alert(
                "bridge-worked",
                accounts=[
                    {"external_id": "acct-b4", "payment_fingerprint": "pf-first"},
                    {"external_id": "acct-b5", "payment_fingerprint": "pf-worked"},
                ],
            )
        ]
    )
    assert Alert.objects.get(external_id="bridge-worked").case_id == first
    assert Case.objects.get(pk=worked).status == "new"
    assert Case.objects.get(pk=worked).merged_into_id is None
    assert set(Case.objects.get(pk=first).related_cases.values_list("pk", flat=True)) == {worked}
    client.force_login(lead)
    page = client.get(f"/cases/{first}/").content.decode()
    assert f'id="merge-{worked}"' in page
