"""Text written on an action (its rationale, notice, partner summary, and the
comments and reasons of its steps) is bounded, on the page, in the API and in
the workflow alike, and an over-long text is refused naming its field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enforcement import workflow
from enforcement.models import Action, ActionState
from tests.core.text_limit_messages import too_long
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(people):
    case, _ = make_case_with_accounts(2)
    return workflow.propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")


@pytest.mark.parametrize(
    ("data", "what", "limit"),
    [
        ({"rationale": "r" * 10_001}, "The rationale", 10_000),
        ({"rationale": "Shared device.", "notice": "n" * 2001}, "The notice", 2000),
    ],
)
def test_the_propose_form_refuses_text_over_its_limit_at_the_field(
    client, people, data, what, limit
):
    case, _ = make_case_with_accounts(2)
    client.force_login(people.investigator)

    response = client.post(
        reverse("enforcement:propose", args=[case.pk]), {"kind": "suspend_accounts", **data}
    )

    assert response.status_code == 400
    assert too_long(what, limit, limit + 1) in response.content.decode()
    assert not Action.objects.exists()


def test_the_propose_form_refuses_a_partner_summary_over_its_limit(client, people, settings):
    settings.ENFORCEMENT_PARTNERS = ["partner-a"]
    case, _ = make_case_with_accounts(1)
    client.force_login(people.investigator)

    response = client.post(
        reverse("enforcement:propose", args=[case.pk]),
        {
            "kind": "notify_partner",
            "targets": "partner:partner-a",
            "summary": "s" * 10_001,
            "rationale": "They asked to be told.",
        },
    )

    assert response.status_code == 400
    assert too_long("The summary", 10_000, 10_001) in response.content.decode()
    assert not Action.objects.exists()


def test_a_rejection_reason_over_the_limit_is_asked_for_again_on_the_confirmation(
    client, people, proposed
):
    client.force_login(people.lead)

    response = client.post(f"/actions/{proposed.pk}/reject/", {"reason": "r" * 4001})

    assert response.status_code == 400
    assert too_long("The reason", 4000, 4001) in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.state == ActionState.PROPOSED


def errors(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def test_the_api_refuses_a_rationale_over_the_limit(api, people):
    case, _ = make_case_with_accounts(2)
    api.force_authenticate(people.investigator)

    response = api.post(
        "/api/v1/actions/",
        {"case": case.pk, "kind": "suspend_accounts", "rationale": "r" * 10_001},
        format="json",
    )

    assert errors(response) == {"rationale": too_long("The rationale", 10_000)}
    assert not Action.objects.exists()


def test_the_api_refuses_a_partner_summary_over_the_limit(api, people, settings):
    settings.ENFORCEMENT_PARTNERS = ["partner-a"]
    case, _ = make_case_with_accounts(1)
    api.force_authenticate(people.investigator)

    response = api.post(
        "/api/v1/actions/",
        {
            "case": case.pk,
            "kind": "notify_partner",
            "targets": [{"type": "partner", "value": "partner-a"}],
            "params": {"summary": "s" * 10_001},
        },
        format="json",
    )

    assert errors(response) == {"params.summary": too_long("The summary", 10_000, 10_001)}
    assert not Action.objects.exists()


@pytest.mark.parametrize(("step", "field"), [("approve", "comment"), ("reject", "comment")])
def test_the_api_refuses_a_decision_comment_over_the_limit(api, people, proposed, step, field):
    api.force_authenticate(people.lead)

    response = api.post(
        f"/api/v1/actions/{proposed.pk}/{step}/", {field: "c" * 4001}, format="json"
    )

    assert errors(response) == {field: too_long("The comment", 4000)}
    proposed.refresh_from_db()
    assert proposed.state == ActionState.PROPOSED


def test_the_workflow_refuses_an_approval_comment_over_the_limit_itself(people, proposed):
    with pytest.raises(workflow.InvalidProposal) as refused:
        workflow.approve_action(proposed.pk, actor=people.lead, comment="c" * 4001)

    assert refused.value.field == "comment"
    assert str(refused.value) == too_long("The comment", 4000, 4001)
    proposed.refresh_from_db()
    assert proposed.state == ActionState.PROPOSED


def test_the_workflow_refuses_a_withdrawal_reason_over_the_limit_itself(people, proposed):
    with pytest.raises(workflow.InvalidProposal) as refused:
        workflow.withdraw_action(proposed.pk, actor=people.investigator, reason="r" * 4001)

    assert refused.value.field == "reason"
    proposed.refresh_from_db()
    assert proposed.state == ActionState.PROPOSED
