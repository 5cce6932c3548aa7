"""A person who lost sight of a case cannot act on its actions: every step answers
as for no action at all, writes nothing but the refusal, and leaves the action as it was."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case, Tlp
from enforcement.models import ActionState
from enforcement.workflow import (
    Unknown,
    approve_action,
    propose_action,
    reject_action,
    retry_action,
    revert_action,
    withdraw_action,
)
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden(people):
    """Ivy's proposal on a case later marked TLP:RED and assigned to someone else."""
    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    Case.objects.filter(pk=case.pk).update(tlp=Tlp.RED, assignee=people.lead)
    return action


def _writes(people) -> list[str]:
    return list(
        AuditEvent.objects.filter(actor=people.investigator)
        .exclude(verb__in=["action.proposed", "auth.login"])
        .values_list("verb", flat=True)
    )


STEPS = {
    "withdraw": lambda pk, actor: withdraw_action(pk, actor=actor, reason="mine"),
    "approve": lambda pk, actor: approve_action(pk, actor=actor),
    "reject": lambda pk, actor: reject_action(pk, actor=actor, comment="no"),
    "revert": lambda pk, actor: revert_action(pk, actor=actor, reason="undo"),
    "retry": lambda pk, actor: retry_action(pk, actor=actor, reason="again"),
}


@pytest.mark.parametrize("step", STEPS)
def test_the_workflow_refuses_a_step_on_an_action_the_person_cannot_see(people, hidden, step):
    with pytest.raises(Unknown, match=f"There is no action {hidden.pk}"):
        STEPS[step](hidden.pk, people.investigator)
    hidden.refresh_from_db()
    assert hidden.state == ActionState.PROPOSED
    assert _writes(people) == [f"action.{step}_refused"]


def test_the_api_answers_a_withdrawal_on_a_hidden_case_404_and_withdraws_nothing(
    api, people, hidden
):
    api.force_login(people.investigator)
    response = api.post(f"/api/v1/actions/{hidden.pk}/withdraw/", {"reason": "x"}, format="json")
    assert response.status_code == 404
    hidden.refresh_from_db()
    assert hidden.state == ActionState.PROPOSED
    assert _writes(people) == ["action.withdraw_refused"]


def test_the_page_answers_a_withdrawal_on_a_hidden_case_404_and_withdraws_nothing(
    client, people, hidden
):
    client.force_login(people.investigator)
    response = client.post(reverse("enforcement:withdraw", args=[hidden.pk]), {"reason": "x"})
    assert response.status_code == 404
    hidden.refresh_from_db()
    assert hidden.state == ActionState.PROPOSED


def test_the_lead_who_sees_the_case_still_decides(people, hidden):
    assert reject_action(hidden.pk, actor=people.lead, comment="no").state == ActionState.REJECTED
