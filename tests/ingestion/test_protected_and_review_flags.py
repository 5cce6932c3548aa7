"""Protected accounts never join two cases; values the import cannot judge are flagged for a lead."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases import workflow
from cases.models import (
    Account,
    Case,
    CaseAccount,
    KnownSharedValue,
    ReviewFlag,
    ReviewFlagKind,
    ReviewFlagStatus,
)
from ingestion.detectors import create_detector
from ingestion.models import Alert
from tests.ingestion.correlation_helpers import alert, post_and_import

pytestmark = pytest.mark.django_db

ENTERPRISE = "pf_enterprise_fleet"


@pytest.fixture
def token():
    return create_detector("watch", rate=0).token


@pytest.fixture
def people_api():
    """A DRF client for the cases API (``api`` here is the detectors' alerts client)."""
    return APIClient()


@pytest.fixture
def enterprise(client, token):
    """A protected enterprise account with a case of its own."""
    Account.objects.create(
        external_id="acct_ent",
        is_protected=True,
        protected_reason="Enterprise customer",
        payment_fingerprint=ENTERPRISE,
    )
    post_and_import(
        client,
        token,
        [alert("ent-1", accounts=[{"external_id": "acct_ent", "payment_fingerprint": ENTERPRISE}])],
    )
    return Case.objects.get(pk=case_of("ent-1"))


def case_of(external_id: str) -> int:
    return Alert.objects.get(external_id=external_id).case_id


def related(case_id: int) -> set[int]:
    return set(Case.objects.get(pk=case_id).related_cases.values_list("pk", flat=True))


def test_an_alert_tied_only_through_a_protected_accounts_value_opens_a_related_case(
    client, token, enterprise
):
    post_and_import(
        client,
        token,
        [alert("op-1", accounts=[{"external_id": "acct_op", "payment_fingerprint": ENTERPRISE}])],
    )
    opened = case_of("op-1")
    assert opened != enterprise.pk
    assert related(opened) == {enterprise.pk}
    assert not CaseAccount.objects.filter(case=enterprise, account__external_id="acct_op").exists()
    assert set(
        CaseAccount.objects.filter(case_id=opened).values_list("account__external_id", flat=True)
    ) == {"acct_op"}


def test_an_alert_tied_only_through_a_protected_accounts_id_opens_a_related_case(
    client, token, enterprise
):
    post_and_import(client, token, [alert("ent-2", accounts=[{"external_id": "acct_ent"}])])
    assert case_of("ent-2") != enterprise.pk
    assert related(case_of("ent-2")) == {enterprise.pk}
    assert Case.objects.get(pk=enterprise.pk).alert_count == 1


def test_a_value_reaching_a_protected_account_is_flagged_and_a_lead_lists_it(
    client, token, enterprise, make_user
):
    post_and_import(
        client,
        token,
        [alert("op-1", accounts=[{"external_id": "acct_op", "payment_fingerprint": ENTERPRISE}])],
    )
    opened = case_of("op-1")
    flags = ReviewFlag.objects.filter(indicator__value=ENTERPRISE)
    assert {f.case_id for f in flags} == {opened, enterprise.pk}
    assert {f.kind for f in flags} == {ReviewFlagKind.PROTECTED_ACCOUNT}
    assert all(f.status == ReviewFlagStatus.OPEN for f in flags)

    lead = make_user("lead")
    client.force_login(lead)
    page = client.get(f"/cases/{opened}/")
    assert b'id="review-flags"' in page.content and ENTERPRISE.encode() in page.content
    flag = flags.get(case_id=opened)
    answer = client.post(
        f"/cases/{opened}/review-flags/{flag.pk}/",
        {"decision": "list", "reason": "The enterprise's own fleet processor"},
    )
    assert answer.status_code == 302
    assert KnownSharedValue.objects.filter(type="payment_fingerprint", value=ENTERPRISE).exists()
    assert set(flags.values_list("status", flat=True)) == {ReviewFlagStatus.LISTED}
    (listed,) = AuditEvent.objects.filter(verb="review_flag.listed")
    assert sorted(listed.case_ids) == sorted([opened, enterprise.pk])
    assert listed.actor_id == lead.pk and listed.reason == "The enterprise's own fleet processor"
    assert AuditEvent.objects.filter(verb="known_shared.added", actor_id=lead.pk).count() == 1

    # Listed, it joins nothing and is flagged no more.
    post_and_import(
        client,
        token,
        [alert("op-2", accounts=[{"external_id": "acct_op2", "payment_fingerprint": ENTERPRISE}])],
    )
    assert case_of("op-2") not in {opened, enterprise.pk}
    assert not ReviewFlag.objects.filter(case_id=case_of("op-2")).exists()


@pytest.mark.parametrize("role", ["investigator", "manager", "legal"])
def test_only_a_lead_decides_a_flag_and_a_refusal_is_audited(
    client, people_api, token, enterprise, make_user, role
):
    post_and_import(
        client,
        token,
        [alert("op-1", accounts=[{"external_id": "acct_op", "payment_fingerprint": ENTERPRISE}])],
    )
    opened = case_of("op-1")
    flag = ReviewFlag.objects.get(case_id=opened)
    someone = make_user(role)
    client.force_login(someone)
    page = client.get(f"/cases/{opened}/")
    assert b"awaits a lead" in page.content
    assert b'name="decision"' not in page.content
    refused = client.post(
        f"/cases/{opened}/review-flags/{flag.pk}/", {"decision": "dismiss", "reason": "mine"}
    )
    assert refused.status_code == 403
    people_api.force_authenticate(someone)
    answer = people_api.post(
        f"/api/v1/cases/{opened}/review-flags/{flag.pk}/",
        {"decision": "list", "reason": "mine"},
        format="json",
    )
    assert answer.status_code == 403
    flag.refresh_from_db()
    assert flag.status == ReviewFlagStatus.OPEN
    assert not KnownSharedValue.objects.exists()
    refusals = AuditEvent.objects.filter(verb="case.operation_refused", actor_id=someone.pk)
    assert [e.after["operation"] for e in refusals] == ["resolve_review_flag"] * 2


def test_a_value_tying_a_worked_case_is_flagged_and_a_lead_dismisses_it_through_the_api(
    client, people_api, token, make_user
):
    post_and_import(
        client,
        token,
        [
            alert(
                "w-1",
                accounts=[{"external_id": "acct_w1"}],
                indicators=[{"type": "prompt_cluster", "value": "pc-A"}],
            )
        ],
    )
    worked = case_of("w-1")
    workflow.transition(worked, "triage", actor=make_user("investigator"), reason="Looking")
    post_and_import(client, token, [alert("x-1", accounts=[{"external_id": "acct_x1"}])])
    other = case_of("x-1")
    post_and_import(
        client,
        token,
        [
            alert(
                "x-2",
                accounts=[{"external_id": "acct_x1"}],
                indicators=[{"type": "prompt_cluster", "value": "pc-A"}],
            )
        ],
    )
    flags = ReviewFlag.objects.filter(indicator__value="watch/pc-A")
    assert worked in {f.case_id for f in flags}
    assert {f.kind for f in flags} == {ReviewFlagKind.WORKED_CASES}
    assert other in related(worked)

    lead = make_user("lead")
    people_api.force_authenticate(lead)
    detail = people_api.get(f"/api/v1/cases/{worked}/").json()
    (shown,) = detail["review_flags"]
    assert shown["value"] == "watch/pc-A" and shown["status"] == "open"
    assert shown["kind"] == "worked_cases"
    assert shown["shared_accounts"] == 2
    flag = flags.get(case_id=worked)
    answer = people_api.post(
        f"/api/v1/cases/{worked}/review-flags/{flag.pk}/",
        {"decision": "dismiss", "reason": "Same operator"},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["review_flags"][0]["status"] == "dismissed"
    again = people_api.post(
        f"/api/v1/cases/{worked}/review-flags/{flag.pk}/",
        {"decision": "dismiss", "reason": "twice"},
        format="json",
    )
    assert again.status_code == 409
    (event,) = AuditEvent.objects.filter(verb="review_flag.dismissed")
    assert event.case_ids == [worked] and event.reason == "Same operator"
    assert not KnownSharedValue.objects.exists()
