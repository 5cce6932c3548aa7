"""Each kind of notification reaches exactly the people it concerns, never the actor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Tlp
from cases.workflow import assign, close, escalate, hand_back, merge_cases, reopen, set_tlp
from cases.workflow.breaches import mark_breaches
from enforcement.execution import run_action
from enforcement.models import ActionState
from enforcement.workflow import approve_action, propose_action, reject_action
from notifications.delivery import deliver_event
from notifications.models import Notification
from tests.cases.factories import make_case
from tests.enforcement.conftest import make_case_with_accounts
from tests.notifications.conftest import deliver_latest, told

pytestmark = pytest.mark.django_db


def working_case(cast, **fields):
    case = make_case(status="investigating", **fields)
    assign(case, cast.ivy, actor=cast.lee)
    return case


def test_a_case_assigned_to_you_tells_you_and_not_the_lead_who_assigned_it(cast):
    case = make_case(status="investigating")
    assign(case, cast.ivy, actor=cast.lee)
    assert deliver_latest("case.assigned") == {"ivy": "case_assigned"}
    entry = Notification.objects.get()
    assert entry.text == f"Case #{case.pk} was assigned to you by lee."


def test_taking_a_case_yourself_tells_nobody(cast):
    case = make_case(status="investigating")
    assign(case, cast.ivy, actor=cast.ivy)
    assert deliver_latest("case.assigned") == {}


def test_a_proposal_awaits_every_lead_but_its_proposer(cast):
    case, _ = make_case_with_accounts(2)
    propose_action(case.pk, actor=cast.ivy, kind="suspend_accounts")
    assert deliver_latest("action.proposed") == {
        "lee": "approval_awaited",
        "lou": "approval_awaited",
        "lin": "approval_awaited",
    }
    propose_action(case.pk, actor=cast.lee, kind="suspend_accounts")
    assert deliver_latest("action.proposed") == {
        "lou": "approval_awaited",
        "lin": "approval_awaited",
    }


def test_a_second_approval_awaits_the_leads_who_have_not_decided(cast):
    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=cast.ivy, kind="terminate_accounts")
    approve_action(action.pk, actor=cast.lee)
    assert deliver_latest("action.approved") == {
        "lou": "approval_awaited",
        "lin": "approval_awaited",
    }
    approve_action(action.pk, actor=cast.lou)
    assert deliver_latest("action.second_approved") == {"ivy": "action_approved"}


def test_your_action_approved_and_carried_out_tells_you(cast):
    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=cast.ivy, kind="suspend_accounts")
    approve_action(action.pk, actor=cast.lee)
    assert deliver_latest("action.approved") == {"ivy": "action_approved"}
    assert run_action(action.pk) == ActionState.EXECUTED
    assert deliver_latest("action.executed") == {"ivy": "action_executed"}


def test_your_action_rejected_tells_you_with_the_reason(cast):
    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=cast.ivy, kind="suspend_accounts")
    reject_action(action.pk, actor=cast.lee, comment="Not enough evidence")
    assert deliver_latest("action.rejected") == {"ivy": "action_rejected"}
    assert Notification.objects.get(kind="action_rejected").text.endswith(
        "was rejected by lee: Not enough evidence"
    )


def test_your_action_partially_failed_or_paused_tells_you(cast, webhook):
    case, accounts = make_case_with_accounts(3)
    action = propose_action(case.pk, actor=cast.ivy, kind="suspend_accounts")
    approve_action(action.pk, actor=cast.lee)
    webhook.plan("refuse", value=accounts[1].external_id)
    assert run_action(action.pk) == ActionState.PARTIALLY_FAILED
    assert deliver_latest("action.executed") == {"ivy": "action_partially_failed"}

    other, _ = make_case_with_accounts(1)
    paused = propose_action(other.pk, actor=cast.ian, kind="suspend_accounts")
    approve_action(paused.pk, actor=cast.lou)
    webhook.default_mode = "401"
    assert run_action(paused.pk) == ActionState.PAUSED
    assert deliver_latest("action.paused") == {"ian": "action_paused"}


def test_a_case_you_work_reopened_or_merged_tells_you(cast):
    case = working_case(cast)
    close(case, "false_positive", actor=cast.ivy)
    reopen(case, actor=cast.lee, reason="new alerts")
    assert deliver_latest("case.reopened") == {"ivy": "case_reopened"}

    survivor = make_case(status="investigating")
    merged = working_case(cast)
    merge_cases(survivor, [merged], actor=cast.lee, reason="same operator")
    assert deliver_latest("case.merged_into") == {"ivy": "case_merged"}


def test_an_escalation_tells_the_holders_of_its_level_only(cast):
    case = working_case(cast)
    escalate(case, "legal", actor=cast.ivy, reason="subpoena expected")
    assert deliver_latest("case.escalated") == {"leg": "case_escalated", "lex": "case_escalated"}


def test_a_hand_back_tells_who_escalated_and_the_assignee_not_who_handed_it_back(cast):
    case = make_case(status="investigating")
    assign(case, cast.ian, actor=cast.lee)
    escalate(case, "policy", actor=cast.ivy, reason="policy question")
    hand_back(case, actor=cast.pat, reason="allowed under the terms")
    assert deliver_latest("case.handed_back") == {
        "ian": "case_handed_back",
        "ivy": "case_handed_back",
    }


def test_a_red_case_tells_only_people_who_may_see_it(cast):
    case = working_case(cast)
    escalate(case, "legal", actor=cast.ivy, reason="counsel")
    set_tlp(case, Tlp.RED, actor=cast.lee, reason="partner data")
    assign(case, cast.ian, actor=cast.lee)
    assert deliver_latest("case.assigned") == {"ian": "case_assigned"}
    hand_back(case, actor=cast.leg, reason="done")
    # ivy escalated it but, no longer its assignee, may not see a TLP:RED case.
    assert deliver_latest("case.handed_back") == {"ian": "case_handed_back"}


def test_a_breached_sla_tells_the_assignee_and_every_lead_once_across_beat_runs(cast):
    case = working_case(cast, sla_due_at=timezone.now() - timedelta(minutes=5))
    assert mark_breaches() == [case.pk]
    for _ in range(3):
        assert mark_breaches() == []
    events = AuditEvent.objects.filter(verb="case.sla_breached")
    assert events.count() == 1
    for _ in range(2):
        deliver_event(events.get().pk)
    assert told(events.get().pk) == {
        "ivy": "sla_breached",
        "lee": "sla_breached",
        "lou": "sla_breached",
        "lin": "sla_breached",
    }
    assert Notification.objects.filter(kind="sla_breached").count() == 4
    assert len(mail.outbox) == 4
    entry = Notification.objects.get(person=cast.ivy)
    assert entry.text.startswith(f"The SLA of case #{case.pk} (medium) was breached: it was due ")


def test_a_breached_red_case_tells_only_those_who_may_see_it(cast):
    case = working_case(cast, sla_due_at=timezone.now() - timedelta(minutes=5))
    set_tlp(case, Tlp.RED, actor=cast.lee, reason="partner data")
    assign(case, cast.ian, actor=cast.lee)
    mark_breaches()
    assert set(deliver_latest("case.sla_breached")) == {"ian", "lee", "lou", "lin"}
