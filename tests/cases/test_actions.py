"""Actions move a case: proposing one is the only way into pending_action, only
carried-out actions take it to actioned, and a case whose last live action is
rejected or withdrawn goes back to investigating.

The actions go through ``enforcement.workflow``, which moves the case through
the hooks in ``cases.workflow.actions``. What the action steps themselves
check (kinds, targets, protected accounts, approvals) is proven in
tests/enforcement.
"""

import pytest
from django.db import transaction

from audit.models import AuditEvent
from cases import workflow
from cases.models import Account
from cases.workflow import lock_case
from enforcement.backends import LogBackend
from enforcement.execution import run_action
from enforcement.models import Action
from enforcement.workflow import (
    ActionRefused,
    approve_action,
    propose_action,
    reject_action,
    settle_case,
    withdraw_action,
)
from tests.cases.conftest import PEOPLE
from tests.cases.helpers import STARTS, case_row, events

PROPOSABLE = {"investigating", "escalated", "pending_action"}
WORKERS = {"investigator", "lead"}


@pytest.fixture(autouse=True)
def account(db):
    return Account.objects.create(external_id="acct_8f2c")


def propose(case, actor, **kw):
    kw.setdefault("kind", "suspend_accounts")
    kw.setdefault("targets", [("account", "acct_8f2c")])
    kw.setdefault("rationale", "41 accounts, one payment instrument")
    return propose_action(case.pk, actor=actor, **kw)


def new_events(before: list) -> list:
    return events()[len(before) :]


@pytest.mark.parametrize(
    ("start", "who"),
    [pytest.param(s, w, id=f"{s}-{w}") for s in STARTS for w in PEOPLE],
)
def test_who_may_propose_an_action_from_each_status(start, who, person, make_case):
    status, _, level = start.partition("@")
    case = make_case(status, level=level)
    actor = person(who)
    before = case_row(case)
    before_events = events()

    if status in PROPOSABLE and who in WORKERS:
        action = propose(case, actor)
        row = case_row(case)
        assert (row["status"], row["escalation_level"]) == ("pending_action", "")
        assert (row["version"], row["updated_by_id"]) == (before["version"] + 1, actor.pk)
        assert (action.state, action.proposed_by) == ("proposed", actor)
        (event,) = new_events(before_events)
        assert (event.verb, event.actor, event.case_ids) == ("action.proposed", actor, [case.pk])
        assert event.reason == "41 accounts, one payment instrument"
        assert (event.before["status"], event.after["status"]) == (status, "pending_action")
    else:
        with pytest.raises(ActionRefused):
            propose(case, actor)
        assert case_row(case) == before
        assert not Action.objects.exists()
        (refusal,) = new_events(before_events)
        assert (refusal.verb, refusal.actor) == ("action.propose_refused", actor)


def test_no_status_change_leads_into_pending_action_or_actioned(person, make_case):
    lead = person("lead")
    for target in ("pending_action", "actioned"):
        case = make_case("investigating")
        with pytest.raises(workflow.TransitionRefused):
            workflow.transition(case, target, actor=lead, reason="skip the action")
        assert case_row(case)["status"] == "investigating"


@pytest.mark.parametrize("ending", ["withdrawn", "rejected"])
def test_ending_the_last_live_action_returns_the_case_to_investigation(ending, person, make_case):
    proposer, lead = person("investigator"), person("lead")
    case = make_case("escalated", level="legal")
    action = propose(case, proposer)
    if ending == "withdrawn":
        withdraw_action(action.pk, actor=proposer, reason="wrong cluster")
        actor = proposer
    else:
        reject_action(action.pk, actor=lead, comment="wrong cluster")
        actor = lead

    row = case_row(case)
    assert (row["status"], row["escalation_level"], row["updated_by_id"]) == (
        "investigating",
        "",
        actor.pk,
    )
    event = events()[-1]
    assert (event.verb, event.actor, event.reason) == (f"action.{ending}", actor, "wrong cluster")
    assert (event.before["status"], event.after["status"]) == ("pending_action", "investigating")


def test_a_case_is_actioned_only_once_its_action_is_carried_out(person, make_case):
    case = make_case("investigating")
    action = propose(case, person("investigator"))
    approve_action(action.pk, actor=person("lead"))
    assert case_row(case)["status"] == "pending_action"

    assert run_action(action.pk, backend=LogBackend()) == "executed"

    row = case_row(case)
    assert row["status"] == "actioned" and row["actioned_at"] is not None
    event = events()[-1]
    assert (event.verb, event.system, event.actor, event.case_ids) == (
        "action.executed",
        "enforcement",
        None,
        [case.pk],
    )
    assert (event.before["status"], event.after["status"]) == ("pending_action", "actioned")


def test_a_case_moved_back_by_a_lead_stays_put_when_its_action_completes(person, make_case):
    lead = person("lead")
    case = make_case("investigating")
    action = propose(case, person("investigator"))
    approve_action(action.pk, actor=lead)
    workflow.transition(case, "investigating", actor=lead, reason="new evidence first")

    assert run_action(action.pk, backend=LogBackend()) == "executed"

    row = case_row(case)
    assert (row["status"], row["actioned_at"]) == ("investigating", None)


def test_action_code_moves_the_case_through_the_table_without_an_event_of_its_own(
    person, make_case
):
    lead = person("lead")
    case = make_case("escalated", level="policy")
    with transaction.atomic():
        before, after = workflow.case_follows_proposal(lock_case(case), actor=lead)
    assert (before["status"], after["status"]) == ("escalated", "pending_action")
    assert case_row(case)["escalation_level"] == ""
    assert not AuditEvent.objects.exists()

    for status in ("new", "closed"):
        with transaction.atomic(), pytest.raises(workflow.TransitionRefused):
            workflow.case_follows_proposal(lock_case(make_case(status)), actor=lead)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["approved", "rejected"], "pending_action"),
        (["executed", "rejected"], "actioned"),
        (["partially_failed"], "actioned"),
        (["failed", "withdrawn"], "investigating"),
    ],
)
def test_a_pending_case_moves_on_once_no_action_is_live(states, expected, person, make_case):
    case = make_case("pending_action")
    for state in states:
        Action.objects.create(case=case, kind="suspend_accounts", state=state, proposed_by=person())
    with transaction.atomic():
        settle_case(lock_case(case), actor=None)
    assert case_row(case)["status"] == expected
    assert not AuditEvent.objects.exists()


@pytest.fixture
def proposal(person, make_case):
    """A pending case with one proposal by an investigator none of the people asked is."""
    case = make_case("investigating")
    return propose(case, person("investigator"))


# step -> (who may, call). Each call gives "because" as its reason.
STEPS = {
    "propose": (
        WORKERS,
        lambda action, actor: propose(
            action.case, actor, kind="require_verification", rationale="because"
        ),
    ),
    # Withdrawing is for the proposer or a lead; the people asked here never proposed it.
    "withdraw": (
        {"lead"},
        lambda action, actor: withdraw_action(action.pk, actor=actor, reason="because"),
    ),
    "reject": (
        {"lead"},
        lambda action, actor: reject_action(action.pk, actor=actor, comment="because"),
    ),
}


@pytest.mark.parametrize(
    ("step", "who"),
    [pytest.param(step, who, id=f"{step}-{who}") for step in STEPS for who in PEOPLE],
)
def test_each_action_step_touches_the_case_once_or_not_at_all(step, who, proposal, person):
    allowed, call = STEPS[step]
    actor = person(who)
    case = proposal.case
    before = case_row(case)
    before_actions = list(Action.objects.order_by("pk").values())
    before_events = events()

    if who in allowed:
        call(proposal, actor)
        (event,) = new_events(before_events)
        assert (event.actor, event.reason, event.case_ids) == (actor, "because", [case.pk])
        row = case_row(case)
        assert (row["version"], row["updated_by_id"]) == (before["version"] + 1, actor.pk)
    else:
        with pytest.raises(ActionRefused):
            call(proposal, actor)
        assert case_row(case) == before
        assert list(Action.objects.order_by("pk").values()) == before_actions
        (refusal,) = new_events(before_events)
        assert (refusal.verb, refusal.actor) == (f"action.{step}_refused", actor)
