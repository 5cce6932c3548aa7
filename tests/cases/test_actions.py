"""Actions move a case: proposing one is the only way into pending_action, and
only carried-out actions take it to actioned."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEvent
from cases import workflow
from cases.models import Account, Action, ActionTarget
from cases.workflow.common import lock_case
from tests.cases.conftest import PEOPLE
from tests.cases.helpers import case_row, events

STARTS = (
    "new",
    "triage",
    "investigating",
    "escalated@policy",
    "escalated@legal",
    "escalated@executive",
    "pending_action",
    "actioned",
    "closed",
)
PROPOSABLE = {"investigating", "escalated", "pending_action"}


@pytest.fixture
def accounts(db):
    return [
        Account.objects.create(external_id="acct_8f2c"),
        Account.objects.create(external_id="acct_partner", is_protected=True),
    ]


def propose(case, actor, kind="suspend_accounts", targets=(("account", "acct_8f2c"),), **kw):
    kw.setdefault("rationale", "41 accounts, one payment instrument")
    return workflow.propose_action(case, kind, list(targets), actor=actor, **kw)


@pytest.mark.parametrize(
    ("start", "who"),
    [pytest.param(s, w, id=f"{s}-{w}") for s in STARTS for w in PEOPLE],
)
def test_who_may_propose_an_action_from_each_status(start, who, person, make_case, accounts):
    status, _, level = start.partition("@")
    case = make_case(status, level=level)
    actor = person(who)
    before = case_row(case)
    before_events = events()

    if status in PROPOSABLE and who in {"investigator", "lead"}:
        action = propose(case, actor)
        case.refresh_from_db()
        assert case.status == "pending_action"
        assert case.escalation_level == ""
        assert (action.state, action.proposed_by) == ("proposed", actor)
        (event,) = events()[len(before_events) :]
        assert (event.verb, event.actor, event.case_ids) == ("action.proposed", actor, [case.pk])
        assert event.reason == "41 accounts, one payment instrument"
        assert (event.before["status"], event.after["status"]) == (status, "pending_action")
    else:
        with pytest.raises(workflow.OperationRefused):
            propose(case, actor)
        assert case_row(case) == before
        assert events() == before_events
        assert not Action.objects.exists()


def test_protected_accounts_are_kept_out_until_a_lead_overrides(person, make_case, accounts):
    action = propose(
        make_case("investigating"),
        person("investigator"),
        targets=[("account", "acct_8f2c"), ("account", "acct_partner")],
    )
    states = dict(action.targets.values_list("value", "state"))
    assert states == {"acct_8f2c": "pending", "acct_partner": "excluded"}
    assert action.targets.get(value="acct_partner").is_protected
    assert AuditEvent.objects.get().after["protected"] == ["acct_partner"]


def test_terminating_accounts_needs_two_approvers(person, make_case, accounts):
    action = propose(make_case("investigating"), person("lead"), kind="terminate_accounts")
    assert action.approvals_required == 2
    assert propose(make_case("investigating"), person("lead")).approvals_required == 1


@pytest.mark.parametrize(
    ("kind", "targets", "params"),
    [
        ("suspend_accounts", [("ip", "203.0.113.7")], None),
        ("suspend_accounts", [("account", "acct_unknown")], None),
        ("suspend_accounts", [], None),
        ("rate_limit", [("asn", "AS64500")], {"requests_per_minute": -1}),
        ("notify_partner", [("partner", "cloud-x")], {}),
        ("delete_everything", [("account", "acct_8f2c")], None),
    ],
    ids=["wrong-type", "unknown-account", "no-targets", "bad-rate", "no-summary", "bad-kind"],
)
def test_invalid_proposals_change_nothing(kind, targets, params, person, make_case, accounts):
    case = make_case("investigating")
    before = case_row(case)
    with pytest.raises(ValidationError):
        propose(case, person("lead"), kind=kind, targets=targets, params=params)
    assert case_row(case) == before
    assert not Action.objects.exists()
    assert not AuditEvent.objects.exists()


def test_withdrawing_the_last_proposal_returns_the_case_to_investigation(
    person, make_case, accounts
):
    proposer = person("investigator")
    case = make_case("investigating")
    action = propose(case, proposer)

    workflow.withdraw_action(action, actor=proposer, reason="wrong cluster")

    case.refresh_from_db()
    action.refresh_from_db()
    assert (case.status, action.state, action.decided_by) == (
        "investigating",
        "withdrawn",
        proposer,
    )
    event = AuditEvent.objects.order_by("sequence").last()
    assert (event.verb, event.reason) == ("action.withdrawn", "wrong cluster")
    assert (event.before["status"], event.after["status"]) == ("pending_action", "investigating")


def test_another_investigator_cannot_withdraw_a_proposal(person, make_case, accounts):
    action = propose(make_case("investigating"), person("investigator"))
    with pytest.raises(workflow.OperationRefused, match="proposer or a lead"):
        workflow.withdraw_action(action, actor=person("investigator"), reason="mine now")
    action.refresh_from_db()
    assert action.state == "proposed"


def test_a_lead_cannot_reject_their_own_proposal(person, make_case, accounts):
    lead = person("lead")
    action = propose(make_case("investigating"), lead)
    with pytest.raises(workflow.OperationRefused, match="other than its proposer"):
        workflow.reject_action(action, actor=lead, reason="changed my mind")


def test_rejecting_one_of_two_proposals_keeps_the_case_pending(person, make_case, accounts):
    case = make_case("investigating")
    first = propose(case, person("investigator"))
    propose(case, person("investigator"), kind="rate_limit", params={"requests_per_minute": 10})

    workflow.reject_action(first, actor=person("lead"), reason="too broad")

    case.refresh_from_db()
    assert case.status == "pending_action"


def test_a_case_is_actioned_only_once_its_actions_are_carried_out(person, make_case, accounts):
    case = make_case("investigating")
    action = propose(case, person("investigator"))
    before = case_row(case)

    with pytest.raises(workflow.TransitionRefused, match="only once its actions are carried out"):
        workflow.mark_case_actioned(case)
    assert case_row(case) == before

    Action.objects.filter(pk=action.pk).update(state="executed")
    ActionTarget.objects.filter(action=action).update(state="executed")
    workflow.mark_case_actioned(case)

    case.refresh_from_db()
    assert case.status == "actioned"
    assert case.actioned_at is not None
    event = AuditEvent.objects.order_by("sequence").last()
    assert (event.verb, event.system, event.actor, event.case_ids) == (
        "case.actioned",
        "enforcement",
        None,
        [case.pk],
    )


@pytest.mark.parametrize("status", ["investigating", "actioned", "closed"])
def test_only_a_pending_case_can_become_actioned(status, make_case):
    case = make_case(status)
    with pytest.raises(workflow.TransitionRefused):
        workflow.mark_case_actioned(case)


def test_action_code_moves_the_case_through_the_table_without_an_event_of_its_own(
    person, make_case, accounts
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
def test_a_pending_case_moves_on_once_no_action_is_live(
    states, expected, person, make_case, accounts
):
    case = make_case("pending_action")
    for state in states:
        Action.objects.create(case=case, kind="suspend_accounts", state=state, proposed_by=person())
    with transaction.atomic():
        workflow.case_follows_actions(lock_case(case), actor=None)
    assert case_row(case)["status"] == expected
    assert not AuditEvent.objects.exists()
