"""An account a lead protects after an action was proposed is still left out at approval."""

import pytest

from audit.models import AuditEvent
from cases import workflow as case_workflow
from enforcement.models import TargetState
from enforcement.workflow import WrongState, approve_action, override_protected, propose_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


def test_an_account_protected_after_the_proposal_is_left_out_when_approved(people):
    case, accounts = make_case_with_accounts(3)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    partner = accounts[1]
    case_workflow.set_account_protected(
        partner, True, actor=people.other_lead, reason="Enterprise customer", case=case
    )

    approve_action(action.pk, actor=people.lead)

    states = dict(action.targets.values_list("value", "state"))
    assert states[partner.external_id] == TargetState.EXCLUDED
    assert [s for v, s in states.items() if v != partner.external_id] == [TargetState.PENDING] * 2
    event = AuditEvent.objects.get(verb="action.approved")
    assert event.after["protected_since_proposal"] == [partner.external_id]


def test_a_target_a_lead_overrode_stays_in_the_action(people):
    case, accounts = make_case_with_accounts(2, protected={0})
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    target = action.targets.get(value=accounts[0].external_id)
    override_protected(action.pk, target.pk, actor=people.lead, reason="Partner confirmed abuse")
    approve_action(action.pk, actor=people.other_lead)
    target.refresh_from_db()
    assert target.state == TargetState.PENDING
    assert "protected_since_proposal" not in AuditEvent.objects.get(verb="action.approved").after


def test_when_every_target_became_protected_the_approval_is_refused(people):
    case, accounts = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    case_workflow.set_account_protected(accounts[0], True, actor=people.lead, reason="Partner")
    with pytest.raises(WrongState, match="protected"):
        approve_action(action.pk, actor=people.other_lead)
