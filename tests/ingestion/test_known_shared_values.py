"""A strong value on the known-shared list joins nothing, from the next batch on (real import)."""

from __future__ import annotations

import pytest

from cases import workflow
from cases.models import CaseAccount
from ingestion.detectors import create_detector
from ingestion.models import Alert
from tests.ingestion.correlation_helpers import alert, post_and_import

pytestmark = pytest.mark.django_db

PROCESSOR = "pf_reseller_processor"


@pytest.fixture
def token():
    return create_detector("scanner", rate=0).token


def honest(number: int) -> dict:
    return alert(
        f"honest-{number}",
        severity="low",
        accounts=[{"external_id": f"acct_honest_{number}", "payment_fingerprint": PROCESSOR}],
    )


def case_of(external_id: str) -> int:
    return Alert.objects.get(external_id=external_id).case_id


def test_a_known_shared_payment_processor_joins_nothing_and_its_accounts_stay_apart(
    client, token, make_user
):
    workflow.add_known_shared(
        "payment_fingerprint", PROCESSOR, actor=make_user("lead"), reason="Reseller's processor"
    )
    post_and_import(client, token, [honest(n) for n in range(6)], size=3)

    cases = {case_of(f"honest-{n}") for n in range(6)}
    assert len(cases) == 6
    for case_id in cases:
        assert CaseAccount.objects.filter(case_id=case_id).count() == 1


def test_a_value_listed_between_batches_joins_nothing_from_the_next_batch_on(
    client, token, make_user
):
    post_and_import(client, token, [honest(0), honest(1)])
    assert case_of("honest-0") == case_of("honest-1")

    workflow.add_known_shared(
        "payment_fingerprint", PROCESSOR, actor=make_user("lead"), reason="Reseller's processor"
    )
    post_and_import(client, token, [honest(2), honest(3)])
    assert len({case_of("honest-0"), case_of("honest-2"), case_of("honest-3")}) == 3


def test_a_known_shared_value_still_lets_the_alerts_strong_values_join(client, token, make_user):
    workflow.add_known_shared(
        "payment_fingerprint", PROCESSOR, actor=make_user("lead"), reason="Reseller's processor"
    )
    cluster = [{"type": "prompt_cluster", "value": "pc-op-1"}]
    post_and_import(
        client,
        token,
        [
            alert(
                "op-1",
                accounts=[{"external_id": "acct_op_1", "payment_fingerprint": PROCESSOR}],
                indicators=cluster,
            ),
            alert(
                "op-2",
                accounts=[{"external_id": "acct_op_2", "payment_fingerprint": PROCESSOR}],
                indicators=cluster,
            ),
            honest(9),
        ],
    )
    assert case_of("op-1") == case_of("op-2") != case_of("honest-9")
