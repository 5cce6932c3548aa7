"""The named status operations and the checks the matrix does not reach."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from audit.models import AuditEvent
from cases import workflow
from cases.models import Case
from tests.cases.helpers import case_row


def test_closing_without_a_resolution_is_refused(person, make_case):
    case = make_case("investigating")
    before = case_row(case)
    with pytest.raises(ValidationError, match="needs a resolution"):
        workflow.transition(case, "closed", actor=person("lead"))
    assert case_row(case) == before
    assert not AuditEvent.objects.exists()


def test_an_investigator_is_told_confirmed_abuse_is_for_leads(person, make_case):
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.close(make_case("investigating"), "confirmed_abuse", actor=person("investigator"))
    assert "closing as confirmed_abuse is for leads" in str(refused.value)
    assert "closed as false_positive|benign|duplicate|insufficient_evidence" in str(refused.value)


def test_escalating_needs_a_known_level(person, make_case):
    case = make_case("investigating")
    with pytest.raises(ValidationError, match="needs a level"):
        workflow.escalate(case, "board", actor=person("lead"))
    assert case_row(case)["status"] == "investigating"


def test_the_level_a_case_was_escalated_to_hands_it_back(person, make_case):
    case = workflow.escalate(make_case("investigating"), "legal", actor=person("investigator"))
    assert (case.status, case.escalation_level) == ("escalated", "legal")

    with pytest.raises(workflow.TransitionRefused):
        workflow.hand_back(case, actor=person("policy"))
    workflow.hand_back(case, actor=person("legal"), reason="no legal exposure")

    case.refresh_from_db()
    assert (case.status, case.escalation_level) == ("investigating", "")
    event = AuditEvent.objects.order_by("sequence").last()
    assert (event.verb, event.reason) == ("case.handed_back", "no legal exposure")


@pytest.mark.parametrize("status", ["new", "triage", "actioned", "pending_action"])
def test_reopen_and_hand_back_refuse_cases_that_are_not_closed_or_escalated(
    status, person, make_case
):
    case = make_case(status)
    with pytest.raises(workflow.TransitionRefused):
        workflow.reopen(case, actor=person("lead"))
    with pytest.raises(workflow.TransitionRefused):
        workflow.hand_back(case, actor=person("lead"))
    assert case_row(case)["status"] == status


def test_reopening_clears_the_resolution_and_closing_time(person, make_case):
    lead = person("lead")
    case = workflow.close(make_case("investigating"), "confirmed_abuse", actor=lead)
    assert case.closed_at is not None
    case = workflow.reopen(case, actor=lead, reason="the network is back")
    case.refresh_from_db()
    assert (case.status, case.resolution, case.closed_at) == ("investigating", "", None)
    assert AuditEvent.objects.order_by("sequence").last().verb == "case.reopened"


def test_an_inactive_user_changes_nothing(person, make_case):
    case = make_case()
    with pytest.raises(workflow.TransitionRefused):
        workflow.transition(case, "triage", actor=person("lead", is_active=False))


def test_a_refusal_names_what_the_actor_may_do(person, make_case):
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.transition(make_case("new"), "actioned", actor=person("investigator"))
    assert str(refused.value) == (
        f"Case #{refused.value.case_id} cannot move from new to actioned; "
        "allowed from new for you: triage, investigating, "
        "closed as false_positive|benign|duplicate|insufficient_evidence."
    )


@pytest.mark.django_db(transaction=True)
def test_two_people_triaging_at_once_make_one_change(person, make_case):
    case = make_case("new")
    people = [person("investigator"), person("investigator")]
    barrier = threading.Barrier(2)
    outcomes = []

    def triage(actor):
        try:
            barrier.wait()
            workflow.transition(case.pk, "triage", actor=actor)
            outcomes.append("moved")
        except workflow.TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=triage, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["moved", "refused"]
    assert Case.objects.get(pk=case.pk).version == 2
    assert AuditEvent.objects.filter(verb="case.status_changed").count() == 1


def test_an_escalated_case_goes_further_only_to_a_higher_level_with_a_reason(person, make_case):
    legal = person("legal")
    case = workflow.escalate(make_case("investigating"), "legal", actor=person("investigator"))

    with pytest.raises(ValidationError, match="escalated to legal already; it can go only higher"):
        workflow.escalate(case, "policy", actor=legal, reason="Policy should weigh in.")
    with pytest.raises(ValidationError, match="Escalating a case further needs a reason"):
        workflow.escalate(case, "executive", actor=legal)
    assert case_row(case)["escalation_level"] == "legal"

    workflow.escalate(case, "executive", actor=legal, reason="Exposure above our remit.")
    case.refresh_from_db()
    assert (case.status, case.escalation_level, case.sla_pause_reasons) == (
        "escalated",
        "executive",
        ["awaiting_hand_back"],
    )
    event = AuditEvent.objects.order_by("sequence").last()
    assert (event.verb, event.actor, event.reason) == (
        "case.escalated",
        legal,
        "Exposure above our remit.",
    )
    assert (event.before["escalation_level"], event.after["escalation_level"]) == (
        "legal",
        "executive",
    )
    # Executive is the top: nothing above to offer, even to a lead.
    assert "escalated" not in {t.to_status for t in workflow.allowed_transitions(case, legal)}
    assert "escalated" not in {
        t.to_status for t in workflow.allowed_transitions(case, person("lead"))
    }


def test_handing_back_needs_a_reason(person, make_case):
    case = workflow.escalate(make_case("investigating"), "policy", actor=person("investigator"))
    with pytest.raises(ValidationError, match="Handing a case back needs a reason"):
        workflow.hand_back(case, actor=person("policy"), reason="  ")
    assert case_row(case)["status"] == "escalated"
