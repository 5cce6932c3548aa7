"""Proposing and deciding actions: roles, the two-person rule, protected accounts, audit."""

import pytest

from audit.models import AuditEvent
from cases.models import CaseStatus
from enforcement.models import Action, ActionState, TargetState
from enforcement.workflow import (
    InvalidProposal,
    NotPermitted,
    WrongState,
    approve_action,
    override_protected,
    propose_action,
    reject_action,
    withdraw_action,
)
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


def test_proposing_moves_the_case_to_pending_action_and_is_audited(people):
    case, accounts = make_case_with_accounts(3)
    action = propose_action(
        case.pk, actor=people.investigator, kind="suspend_accounts", notice="Suspended for abuse."
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_ACTION
    assert action.state == ActionState.PROPOSED
    assert sorted(action.targets.values_list("value", flat=True)) == [
        a.external_id for a in accounts
    ]
    assert AuditEvent.objects.for_case(case.pk).filter(verb="action.proposed").count() == 1


def test_a_manager_cannot_propose_and_the_refusal_is_audited(people):
    case, _ = make_case_with_accounts(1)
    with pytest.raises(NotPermitted):
        propose_action(case.pk, actor=people.manager, kind="suspend_accounts")
    assert not Action.objects.exists()
    assert AuditEvent.objects.filter(verb="action.propose_refused", actor=people.manager).exists()


def test_kinds_accept_only_their_target_types_and_params(people):
    case, _ = make_case_with_accounts(1)
    with pytest.raises(InvalidProposal):
        propose_action(
            case.pk, actor=people.investigator, kind="block_network", targets=[("account", "x")]
        )
    with pytest.raises(InvalidProposal):
        propose_action(
            case.pk, actor=people.investigator, kind="rate_limit", targets=[("ip", "192.0.2.1")]
        )
    action = propose_action(
        case.pk,
        actor=people.investigator,
        kind="rate_limit",
        targets=[("cidr", "198.51.100.7/24"), ("asn", "as64500")],
        params={"requests_per_minute": 10},
    )
    assert sorted(action.targets.values_list("value", flat=True)) == ["198.51.100.0/24", "AS64500"]


def test_the_proposer_cannot_approve_even_as_a_superuser_lead(people):
    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=people.super_lead, kind="suspend_accounts")
    with pytest.raises(NotPermitted, match="proposer"):
        approve_action(action.pk, actor=people.super_lead)
    action.refresh_from_db()
    assert action.state == ActionState.PROPOSED
    refusal = AuditEvent.objects.get(verb="action.approve_refused")
    assert refusal.actor == people.super_lead and "proposer" in refusal.reason


def test_an_investigator_cannot_approve_and_is_audited(people):
    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=people.lead, kind="suspend_accounts")
    with pytest.raises(NotPermitted):
        approve_action(action.pk, actor=people.investigator)
    assert AuditEvent.objects.filter(
        verb="action.approve_refused", actor=people.investigator
    ).exists()


def test_another_lead_approves_with_a_comment_recorded(people):
    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    approve_action(action.pk, actor=people.lead, comment="Evidence is solid.")
    action.refresh_from_db()
    assert action.state == ActionState.APPROVED
    assert action.approved_by == people.lead and action.approved_at is not None
    assert action.approval_comment == "Evidence is solid."
    event = AuditEvent.objects.get(verb="action.approved")
    assert event.reason == "Evidence is solid." and event.after == {"state": "approved"}


def test_approving_an_action_not_awaiting_approval_is_refused_and_audited(people):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    approve_action(action.pk, actor=people.lead)
    with pytest.raises(WrongState):
        approve_action(action.pk, actor=people.other_lead)
    assert AuditEvent.objects.filter(
        verb="action.approve_refused", actor=people.other_lead
    ).exists()


def test_terminating_needs_a_second_lead(people):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="terminate_accounts")
    approve_action(action.pk, actor=people.lead)
    action.refresh_from_db()
    assert action.state == ActionState.AWAITING_SECOND_APPROVAL
    with pytest.raises(NotPermitted, match="another lead"):
        approve_action(action.pk, actor=people.lead)
    approve_action(action.pk, actor=people.other_lead, comment="Agreed.")
    action.refresh_from_db()
    assert action.state == ActionState.APPROVED
    assert (action.approved_by, action.second_approved_by) == (people.lead, people.other_lead)


def test_the_two_approval_kinds_come_from_the_setting(people, settings):
    settings.ACTIONS_TWO_APPROVAL_KINDS = ["suspend_accounts"]
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    approve_action(action.pk, actor=people.lead)
    action.refresh_from_db()
    assert action.state == ActionState.AWAITING_SECOND_APPROVAL


def test_protected_accounts_are_left_out_until_a_lead_overrides_with_a_reason(people):
    case, accounts = make_case_with_accounts(3, protected={1})
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    protected = action.targets.get(value=accounts[1].external_id)
    assert protected.state == TargetState.EXCLUDED and protected.is_protected
    with pytest.raises(NotPermitted):
        override_protected(action.pk, protected.pk, actor=people.investigator, reason="Sure")
    with pytest.raises(InvalidProposal):
        override_protected(action.pk, protected.pk, actor=people.lead, reason=" ")
    override_protected(action.pk, protected.pk, actor=people.lead, reason="Partner confirmed abuse")
    protected.refresh_from_db()
    assert protected.state == TargetState.PENDING
    assert protected.override_by == people.lead
    assert protected.override_reason == "Partner confirmed abuse"


def test_an_action_of_only_protected_accounts_cannot_be_approved(people):
    case, _ = make_case_with_accounts(1, protected={0})
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    with pytest.raises(WrongState, match="protected"):
        approve_action(action.pk, actor=people.lead)


def test_rejecting_sends_the_case_back_to_investigating(people):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    reject_action(action.pk, actor=people.lead, comment="Not enough evidence.")
    action.refresh_from_db()
    case.refresh_from_db()
    assert action.state == ActionState.REJECTED and action.decision_reason == "Not enough evidence."
    assert case.status == CaseStatus.INVESTIGATING


def test_the_proposer_withdraws_and_others_cannot(people, make_user):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    with pytest.raises(NotPermitted):
        withdraw_action(action.pk, actor=make_user("investigator"))
    withdraw_action(action.pk, actor=people.investigator, reason="Wrong accounts")
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING


def test_a_case_with_another_live_action_stays_pending(people):
    case, _ = make_case_with_accounts(2)
    first = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    propose_action(case.pk, actor=people.investigator, kind="require_verification")
    reject_action(first.pk, actor=people.lead, comment="Duplicate of the second")
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_ACTION


def test_an_action_of_a_closed_case_cannot_be_approved(people):
    from cases.models import Case

    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    Case.objects.filter(pk=case.pk).update(status="closed", resolution="benign")
    with pytest.raises(WrongState, match="closed"):
        approve_action(action.pk, actor=people.lead)
