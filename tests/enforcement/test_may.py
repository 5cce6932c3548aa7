"""The step predicates pages show buttons by agree with what the steps accept."""

import pytest

from enforcement import workflow
from enforcement.workflow import ActionRefused
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db

STEPS = {
    "approve": (workflow.may_approve, lambda a, u: workflow.approve_action(a.pk, actor=u)),
    "reject": (
        workflow.may_reject,
        lambda a, u: workflow.reject_action(a.pk, actor=u, comment="Too broad"),
    ),
    "withdraw": (
        workflow.may_withdraw,
        lambda a, u: workflow.withdraw_action(a.pk, actor=u, reason="Wrong accounts"),
    ),
    "retry": (workflow.may_retry, lambda a, u: workflow.retry_action(a.pk, actor=u)),
    "revert": (
        workflow.may_revert,
        lambda a, u: workflow.revert_action(a.pk, actor=u, reason="Appeal upheld"),
    ),
}


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("who", ["investigator", "lead", "other_lead", "manager", "super_lead"])
def test_a_step_is_offered_exactly_when_the_workflow_accepts_it(step, who, people):
    case, _ = make_case_with_accounts(2)
    action = workflow.propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    may, take = STEPS[step]
    actor = getattr(people, who)
    offered = may(action, actor)
    try:
        take(action, actor)
    except ActionRefused:
        accepted = False
    else:
        accepted = True
    assert offered == accepted


def test_proposing_is_offered_to_investigators_and_leads_on_open_cases(people):
    case, _ = make_case_with_accounts(1)
    assert workflow.may_propose(case, people.investigator)
    assert not workflow.may_propose(case, people.manager)
    case.status = "closed"
    assert not workflow.may_propose(case, people.lead)
