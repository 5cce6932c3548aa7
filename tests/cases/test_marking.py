"""TLP markings, tags and protected accounts: who may change them, and their trail."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from cases import workflow
from cases.models import Account, Case
from cases.visibility import roles_gaining_sight, roles_losing_sight
from core.refusals import Forbidden
from tests.cases.conftest import PEOPLE
from tests.cases.factories import link, make_case
from tests.cases.helpers import case_row

pytestmark = pytest.mark.django_db

MARKERS = {"investigator", "lead"}


def refused_once(case: Case | None = None) -> AuditEvent:
    (event,) = AuditEvent.objects.filter(verb="case.operation_refused")
    if case is not None:
        assert event.case_ids == [case.pk]
    return event


@pytest.mark.parametrize("kind", PEOPLE)
def test_investigators_and_leads_set_the_tlp_and_others_are_refused(person, kind):
    case = make_case(tlp="amber")
    actor = person(kind)
    if kind in MARKERS:
        workflow.set_tlp(case.pk, "green", actor=actor, reason="shared with partner")
        case.refresh_from_db()
        assert case.tlp == "green"
        event = AuditEvent.objects.get(verb="case.tlp_changed")
        assert (event.actor, event.before, event.after) == (
            actor,
            {"tlp": "amber"},
            {"tlp": "green"},
        )
        assert event.reason == "shared with partner" and event.case_ids == [case.pk]
    else:
        before = case_row(case)
        with pytest.raises(Forbidden):
            workflow.set_tlp(case.pk, "green", actor=actor)
        assert case_row(case) == before
        refused_once(case)


def test_only_a_lead_lowers_a_case_from_red(person):
    investigator = person("investigator")
    case = make_case(tlp="red", assignee=investigator)
    with pytest.raises(Forbidden, match="Lowering TLP:RED"):
        workflow.set_tlp(case.pk, "amber", actor=investigator)
    assert Case.objects.get(pk=case.pk).tlp == "red"
    refused_once(case)
    workflow.set_tlp(case.pk, "amber", actor=person("lead"), reason="declassified")
    assert Case.objects.get(pk=case.pk).tlp == "amber"


def test_an_investigator_may_raise_a_case_to_red(person):
    case = make_case(tlp="amber")
    workflow.set_tlp(case.pk, "red", actor=person("investigator"))
    assert Case.objects.get(pk=case.pk).tlp == "red"


def test_setting_the_marking_a_case_already_has_is_a_validation_error(person):
    case = make_case(tlp="amber")
    with pytest.raises(ValidationError, match="already TLP:AMBER"):
        workflow.set_tlp(case.pk, "amber", actor=person("lead"))
    assert not AuditEvent.objects.exists()


def test_red_hides_the_case_from_everyone_but_leads_managers_and_the_assignee():
    case = make_case(tlp="amber")
    assert [str(r) for r in roles_losing_sight(case, tlp="red")] == [
        "investigator",
        "policy",
        "legal",
        "executive",
    ]
    assert roles_losing_sight(case, tlp="green") == []
    red = make_case(tlp="red")
    assert [str(r) for r in roles_gaining_sight(red, tlp="amber")] == [
        "investigator",
        "policy",
        "legal",
        "executive",
    ]


def test_a_red_case_escalated_to_legal_stays_in_legals_sight():
    case = make_case(tlp="amber", status="escalated", escalation_level="legal")
    assert "legal" not in [str(r) for r in roles_losing_sight(case, tlp="red")]


@pytest.mark.parametrize("kind", PEOPLE)
def test_investigators_and_leads_tag_cases_and_others_are_refused(person, kind):
    case = make_case(tags=["proxy"])
    actor = person(kind)
    if kind in MARKERS:
        workflow.change_tags(case.pk, add=["distillation", " cot "], remove=["proxy"], actor=actor)
        assert Case.objects.get(pk=case.pk).tags == ["distillation", "cot"]
        event = AuditEvent.objects.get(verb="case.tags_changed")
        assert event.actor == actor
        assert event.before == {"tags": ["proxy"]}
        assert event.after == {
            "tags": ["distillation", "cot"],
            "added": ["distillation", "cot"],
            "removed": ["proxy"],
        }
    else:
        with pytest.raises(Forbidden):
            workflow.change_tags(case.pk, add=["x"], actor=actor)
        assert Case.objects.get(pk=case.pk).tags == ["proxy"]
        refused_once(case)


def test_adding_a_tag_twice_or_removing_an_absent_one_is_refused(person):
    case = make_case(tags=["proxy"])
    lead = person("lead")
    with pytest.raises(ValidationError, match="Already tagged proxy"):
        workflow.change_tags(case.pk, add=["proxy"], actor=lead)
    with pytest.raises(ValidationError, match="Not tagged gone"):
        workflow.change_tags(case.pk, remove=["gone"], actor=lead)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("kind", PEOPLE)
def test_only_leads_protect_accounts(person, kind):
    case = make_case()
    account = Account.objects.create(external_id="acct_partner")
    link(case, account)
    actor = person(kind)
    if kind == "lead":
        workflow.set_account_protected(
            account, True, actor=actor, reason="research partner", case=case
        )
        account.refresh_from_db()
        assert (account.is_protected, account.protected_reason) == (True, "research partner")
        event = AuditEvent.objects.get(verb="account.protected")
        assert event.actor == actor and event.reason == "research partner"
        assert event.target_id == str(account.pk) and event.case_ids == [case.pk]
        assert event.before == {"is_protected": False, "protected_reason": ""}
    else:
        with pytest.raises(Forbidden):
            workflow.set_account_protected(account, True, actor=actor, reason="x", case=case)
        account.refresh_from_db()
        assert not account.is_protected
        refused_once(case)


def test_lifting_a_protection_needs_a_reason_and_is_audited(person):
    lead = person("lead")
    account = Account.objects.create(
        external_id="acct_partner", is_protected=True, protected_reason="partner"
    )
    with pytest.raises(ValidationError):
        workflow.set_account_protected(account, False, actor=lead, reason=" ")
    workflow.set_account_protected(account, False, actor=lead, reason="contract ended")
    account.refresh_from_db()
    assert (account.is_protected, account.protected_reason) == (False, "")
    event = AuditEvent.objects.get(verb="account.unprotected")
    assert event.before == {"is_protected": True, "protected_reason": "partner"}


def test_protecting_an_account_already_protected_names_who_did_it(person):
    lee = person("lead")
    account = Account.objects.create(external_id="acct_partner")
    workflow.set_account_protected(account, True, actor=lee, reason="partner")
    with pytest.raises(
        workflow.AlreadyProtected, match=f"already protected: set by {lee.username} at"
    ):
        workflow.set_account_protected(account, True, actor=person("lead"), reason="partner")
