"""The case predicates pages show forms by agree with what the workflow accepts."""

import pytest

from cases import workflow
from tests.cases.conftest import PEOPLE

OPERATIONS = {
    "work": (
        workflow.may_work_on,
        lambda case, actor: workflow.set_severity(case, "high", actor=actor),
    ),
    "note": (
        workflow.may_add_note,
        lambda case, actor: workflow.add_note(case, "seen", actor=actor),
    ),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("who", PEOPLE)
def test_an_operation_is_offered_exactly_when_the_workflow_accepts_it(
    operation, who, person, make_case
):
    case = make_case("investigating")
    actor = person(who)
    may, call = OPERATIONS[operation]
    offered = may(actor, case)
    try:
        call(case, actor)
    except workflow.OperationRefused:
        accepted = False
    else:
        accepted = True
    assert offered == accepted


@pytest.mark.parametrize("who", PEOPLE)
def test_assigning_oneself_and_others_follows_the_workflow(who, person, make_case):
    actor = person(who)
    case = make_case("triage")
    assert workflow.may_assign(actor, case, actor) == (who in ("investigator", "lead"))
    assert workflow.may_assign(actor, case, None) == (who == "lead")
    assert workflow.may_assign_anyone(actor, case) == (who == "lead")
