"""Merging cases into a survivor: one function for leads and the import."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from cases import workflow
from cases.models import Case, CaseAccount, Evidence, Note
from cases.queries import audit_trail
from cases.workflow import OperationRefused
from core.refusals import Conflict
from tests.cases.factories import make_account

pytestmark = pytest.mark.django_db


def _link(case, account, reason="shares payment fingerprint pf_1"):
    CaseAccount.objects.create(case=case, account=account, reason=reason, linked_by_detector="dx")


def test_a_lead_merges_cases_into_a_survivor(person, make_case):
    lead = person("lead")
    survivor = make_case(tlp="amber", alert_count=2, evidence_count=1, account_count=2)
    red = make_case(tlp="red", alert_count=3, evidence_count=2, account_count=2)
    green = make_case(tlp="green", status="triage")
    shared, own, other = make_account("acct_s"), make_account("acct_o"), make_account("acct_x")
    _link(survivor, shared)
    _link(survivor, own)
    _link(red, shared)
    _link(red, other)
    Evidence.objects.create(case=red, kind="text", title="note from the detector")
    Note.objects.create(case=green, author=lead, body="looked at it")
    workflow.add_note(green.pk, "worked", actor=lead)
    outsider = make_case()
    red.related_cases.add(outsider, survivor)

    merge = workflow.merge_cases(
        survivor.pk, [red.pk, green], actor=lead, reason="same operator: shares pf_1"
    )

    survivor.refresh_from_db()
    assert merge.merged == sorted([red.pk, green.pk])
    assert survivor.tlp == "red"
    assert set(survivor.account_links.values_list("account__external_id", flat=True)) == {
        "acct_s",
        "acct_o",
        "acct_x",
    }
    assert survivor.account_count == 3
    assert survivor.alert_count == 5
    assert survivor.evidence.filter(title="note from the detector").exists()
    assert survivor.notes.count() == 2
    assert set(survivor.related_cases.values_list("pk", flat=True)) == {outsider.pk}
    for case in (red, green):
        case.refresh_from_db()
        assert (case.status, case.resolution, case.merged_into_id) == (
            "closed",
            "duplicate",
            survivor.pk,
        )
        assert not case.account_links.exists() and not case.notes.exists()
        (event,) = AuditEvent.objects.filter(verb="case.merged_into", target_id=str(case.pk))
        assert event.reason == "same operator: shares pf_1" and event.actor == lead
    (event,) = AuditEvent.objects.filter(verb="case.merged")
    assert event.case_ids == [survivor.pk]
    # The survivor's trail shows what happened to the cases merged into it.
    trail = {e.verb for e in audit_trail(survivor)}
    assert {"case.merged", "case.merged_into", "note.added"} <= trail


def test_only_a_lead_merges_and_the_refusal_is_audited(person, make_case):
    survivor, other = make_case(), make_case()
    with pytest.raises(OperationRefused):
        workflow.merge_cases(survivor, [other], actor=person("investigator"), reason="same")
    other.refresh_from_db()
    assert other.status == "new" and other.merged_into_id is None
    assert AuditEvent.objects.filter(verb="case.operation_refused").count() == 1


def test_a_case_with_actions_under_way_is_not_merged_away(person, make_case):
    survivor, pending = make_case(), make_case(status="pending_action")
    with pytest.raises(Conflict):
        workflow.merge_cases(survivor, [pending], actor=person("lead"), reason="same")
    assert Case.objects.get(pk=pending.pk).status == "pending_action"


def test_cases_merged_before_follow_into_the_new_survivor(person, make_case):
    lead = person("lead")
    first, second, third = make_case(), make_case(), make_case()
    workflow.merge_cases(second, [third], actor=lead, reason="one")
    workflow.merge_cases(first, [second], actor=lead, reason="two")
    assert Case.objects.get(pk=third.pk).merged_into_id == first.pk
    assert {e.target_id for e in audit_trail(first) if e.verb == "case.merged_into"} == {
        str(second.pk),
        str(third.pk),
    }
