"""Steps that undo or refuse work: confirmed on a page of their own, with a reason
the workflow requires, and a trail that names what a partial revert undid."""

import pytest
from django.contrib.messages import get_messages

from audit.models import AuditEvent
from enforcement import workflow
from enforcement.execution import run_action
from enforcement.models import ActionState, TargetState
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


@pytest.fixture
def executed(people, settings):
    """An action carried out on three accounts through the log backend."""
    settings.ENFORCEMENT_BACKEND = "log"
    case, _ = make_case_with_accounts(3)
    action = workflow.propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    workflow.approve_action(action.pk, actor=people.lead)
    run_action(action.pk)
    action.refresh_from_db()
    assert action.state == ActionState.EXECUTED
    return action


@pytest.fixture
def proposed(people):
    case, _ = make_case_with_accounts(2)
    return workflow.propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("step", "field"),
    [("reject", "comment"), ("withdraw", "reason")],
)
def test_refusing_a_proposal_needs_a_reason(people, proposed, step, field):
    take = {"reject": workflow.reject_action, "withdraw": workflow.withdraw_action}[step]
    actor = people.lead if step == "reject" else people.investigator
    with pytest.raises(workflow.InvalidProposal) as refused:
        take(proposed.pk, actor=actor, **{field: "  "})
    assert refused.value.field == field
    proposed.refresh_from_db()
    assert proposed.state == ActionState.PROPOSED
    assert AuditEvent.objects.filter(verb=f"action.{step}_refused", actor=actor).exists()


def test_a_revert_needs_a_reason(people, executed):
    with pytest.raises(workflow.InvalidProposal, match="needs a reason"):
        workflow.revert_action(executed.pk, actor=people.lead, reason="")
    assert not executed.targets.exclude(state=TargetState.EXECUTED).exists()


def test_the_api_refuses_a_revert_without_a_reason_at_its_field(client, people, executed):
    client.force_login(people.lead)
    response = client.post(
        f"/api/v1/actions/{executed.pk}/revert/", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reason"


def test_a_per_target_revert_asks_for_confirmation_naming_the_account(client, people, executed):
    target = executed.targets.order_by("pk").first()
    client.force_login(people.lead)
    url = f"/actions/{executed.pk}/targets/{target.pk}/revert/"
    response = client.get(url, {"next": f"/cases/{executed.case_id}/#actions"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Revert {target.value} in action #{executed.pk}" in body
    assert "every other target stays as it is" in body
    assert 'name="reason"' in body and "required" in body
    assert 'class="danger final"' in body
    assert target.state == TargetState.EXECUTED  # a GET changes nothing


def test_a_per_target_revert_without_a_reason_is_asked_again_at_the_field(client, people, executed):
    target = executed.targets.order_by("pk").first()
    client.force_login(people.lead)
    response = client.post(f"/actions/{executed.pk}/targets/{target.pk}/revert/", {"reason": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="confirm-error"' in body and "A revert needs a reason" in body
    target.refresh_from_db()
    assert target.state == TargetState.EXECUTED


def test_a_confirmed_per_target_revert_names_the_account_on_the_trail(client, people, executed):
    target = executed.targets.order_by("pk").first()
    others = executed.targets.exclude(pk=target.pk)
    client.force_login(people.lead)
    case_page = f"/cases/{executed.case_id}/#actions"
    response = client.post(
        f"/actions/{executed.pk}/targets/{target.pk}/revert/",
        {"reason": "Customer appeal upheld", "next": case_page},
    )
    assert response.status_code == 302 and response["Location"] == case_page
    assert texts(response) == [
        f"Revert of {target.value} requested: Dossier asks the platform to undo it; "
        "the other targets stay as they are."
    ]
    target.refresh_from_db()
    assert target.state == TargetState.REVERT_PENDING
    assert set(others.values_list("state", flat=True)) == {TargetState.EXECUTED}

    event = AuditEvent.objects.get(verb="action.revert_requested")
    assert target.value in event.target_repr
    assert event.after["target_values"] == [target.value]
    assert event.reason == "Customer appeal upheld"
    page = client.get(f"/cases/{executed.case_id}/").content.decode()
    assert f"Action revert requested: {event.target_repr}" in page  # the timeline

    run_action(executed.pk)
    page = client.get(f"/cases/{executed.case_id}/").content.decode()
    assert f"Action partly reverted (1 target): {executed}" in page


def test_revert_all_is_confirmed_with_the_number_of_targets(client, people, executed):
    client.force_login(people.lead)
    body = client.get(f"/actions/{executed.pk}/revert/").content.decode()
    assert "undo the action for all 3 targets" in body
    response = client.post(f"/actions/{executed.pk}/revert/", {"reason": "Detector misfired"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(verb="action.revert_requested")
    assert event.after["all"] is True and "target_values" not in event.after


@pytest.mark.parametrize("step", ["reject", "withdraw"])
def test_rejecting_and_withdrawing_are_confirmed_with_a_reason(client, people, proposed, step):
    actor = people.lead if step == "reject" else people.investigator
    client.force_login(actor)
    action_page = client.get(f"/actions/{proposed.pk}/").content.decode()
    assert f'href="/actions/{proposed.pk}/{step}/"' in action_page
    confirm = client.get(f"/actions/{proposed.pk}/{step}/")
    assert confirm.status_code == 200
    assert f"{step.capitalize()} action #{proposed.pk}" in confirm.content.decode()
    assert client.post(f"/actions/{proposed.pk}/{step}/", {"reason": ""}).status_code == 400
    proposed.refresh_from_db()
    assert proposed.state == ActionState.PROPOSED
    response = client.post(f"/actions/{proposed.pk}/{step}/", {"reason": "Wrong cluster"})
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.decision_reason == "Wrong cluster"


def test_a_confirmation_is_not_offered_for_a_step_the_person_cannot_take(client, people, proposed):
    client.force_login(people.investigator)  # the proposer withdraws, never rejects
    response = client.get(f"/actions/{proposed.pk}/reject/")
    assert response.status_code == 302
    assert texts(response) == [f"Action #{proposed.pk} cannot be rejected by you now."]
    assert not AuditEvent.objects.filter(verb="action.reject_refused").exists()


def test_the_action_pages_risky_buttons_look_destructive(client, people, executed):
    client.force_login(people.lead)
    body = client.get(f"/actions/{executed.pk}/").content.decode()
    assert 'class="button danger" href="/actions/' in body and 'id="revert-all"' in body
    assert body.count('class="button danger revert-one"') == 3


def test_a_first_of_two_approvals_says_another_lead_must_approve(client, people):
    case, _ = make_case_with_accounts(2)
    action = workflow.propose_action(case.pk, actor=people.investigator, kind="terminate_accounts")
    client.force_login(people.lead)
    response = client.post(f"/actions/{action.pk}/approve/", {"comment": "Conclusive"})
    assert texts(response) == [
        f"Action #{action.pk}: 1 of 2 approvals; another lead must approve before it is "
        "carried out."
    ]


def test_rejecting_several_at_once_is_confirmed_with_one_reason(client, people):
    actions = [
        workflow.propose_action(
            make_case_with_accounts(1)[0].pk, actor=people.investigator, kind="suspend_accounts"
        )
        for _ in range(2)
    ]
    ids = [a.pk for a in actions]
    client.force_login(people.lead)
    confirm = client.post("/actions/approvals/", {"action": ids, "decision": "reject"})
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert f"Reject 2 actions (#{ids[0]}, #{ids[1]})?" in body
    assert 'name="confirmed" value="1"' in body and 'class="danger final"' in body
    unconfirmed = {a.pk: a.state for a in actions}

    empty = client.post(
        "/actions/approvals/", {"action": ids, "decision": "reject", "confirmed": "1"}
    )
    assert empty.status_code == 400
    assert workflow.REJECTION_NEEDS_A_REASON in empty.content.decode()
    for action in actions:
        action.refresh_from_db()
        assert action.state == unconfirmed[action.pk] == ActionState.PROPOSED

    done = client.post(
        "/actions/approvals/",
        {"action": ids, "decision": "reject", "confirmed": "1", "comment": "Wrong cluster"},
    )
    assert done.status_code == 302
    assert texts(done) == [
        f"Rejected #{ids[0]}, #{ids[1]}: not carried out; the proposers see why."
    ]
    for action in actions:
        action.refresh_from_db()
        assert action.state == ActionState.REJECTED and action.decision_reason == "Wrong cluster"
