"""The API twins of the case page's TLP, tags and protection forms, and the escalation filter."""

import pytest

from audit.models import AuditEvent
from cases.models import Account, Case
from tests.cases.factories import link, make_case

pytestmark = pytest.mark.django_db

OTHER_READERS = ["manager", "policy", "legal", "executive"]


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("role", ["investigator", "lead"])
def test_investigators_and_leads_set_the_tlp(as_role, role):
    case = make_case(tlp="amber")
    api = as_role(role)
    response = api.post(
        f"/api/v1/cases/{case.pk}/tlp/", {"tlp": "green", "reason": "partner", "version": 1}
    )
    assert response.status_code == 200
    assert response.json()["tlp"] == "green"
    assert AuditEvent.objects.get(verb="case.tlp_changed").actor == api.user


@pytest.mark.parametrize("role", OTHER_READERS)
def test_other_readers_are_refused_tlp_and_tags(as_role, role):
    case = make_case(tlp="amber")
    api = as_role(role)
    assert api.post(f"/api/v1/cases/{case.pk}/tlp/", {"tlp": "green"}).status_code == 403
    response = api.post(f"/api/v1/cases/{case.pk}/tags/", {"add": ["x"]}, format="json")
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.tlp, case.tags) == ("amber", [])


def test_the_tlp_endpoint_says_who_each_marking_hides_the_case_from(as_role):
    case = make_case(tlp="red")
    body = as_role("investigator").get(f"/api/v1/cases/{case.pk}/tlp/")
    assert body.status_code == 404  # restricted, and not theirs
    body = as_role("lead").get(f"/api/v1/cases/{case.pk}/tlp/").json()
    amber = next(choice for choice in body["choices"] if choice["tlp"] == "amber")
    assert amber["would_see"] == ["investigator", "policy", "legal", "executive"]
    assert amber["allowed"] and amber["you_still_see"]
    lead_red = as_role("investigator")
    mine = make_case(tlp="red", assignee=lead_red.user)
    body = lead_red.get(f"/api/v1/cases/{mine.pk}/tlp/").json()
    assert not next(c for c in body["choices"] if c["tlp"] == "green")["allowed"]


def test_lowering_red_through_the_api_is_for_leads(as_role):
    api = as_role("investigator")
    case = make_case(tlp="red", assignee=api.user)
    response = api.post(f"/api/v1/cases/{case.pk}/tlp/", {"tlp": "amber"})
    assert response.status_code == 403
    assert "Lowering TLP:RED" in response.json()["errors"][0]["message"]
    assert Case.objects.get(pk=case.pk).tlp == "red"


def test_a_stale_tlp_change_is_a_409_naming_who(as_role, make_user):
    case = make_case(tlp="amber")
    as_role("lead", username="lee").post(f"/api/v1/cases/{case.pk}/tlp/", {"tlp": "green"})
    response = as_role("investigator").post(
        f"/api/v1/cases/{case.pk}/tlp/", {"tlp": "clear", "version": 1}
    )
    assert response.status_code == 409
    assert "its TLP was changed by lee" in response.json()["errors"][0]["message"]


def test_tags_are_read_added_and_removed(as_role):
    case = make_case(tags=["proxy"])
    api = as_role("investigator")
    response = api.post(
        f"/api/v1/cases/{case.pk}/tags/", {"add": ["reseller"], "remove": ["proxy"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["tags"] == ["reseller"]
    body = api.get(f"/api/v1/cases/{case.pk}/tags/").json()
    assert body["tags"] == ["reseller"] and body["suggested"] == []
    response = api.post(f"/api/v1/cases/{case.pk}/tags/", {"remove": ["gone"]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "remove"


def test_a_lead_protects_an_account_through_the_api(as_role):
    case = make_case()
    account = Account.objects.create(external_id="acct_partner")
    link(case, account)
    api = as_role("lead")
    response = api.post(
        f"/api/v1/accounts/{account.pk}/protection/",
        {"protected": True, "reason": "enterprise customer", "case": case.pk},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["is_protected"] is True
    assert response.json()["protected_reason"] == "enterprise customer"
    event = AuditEvent.objects.get(verb="account.protected")
    assert event.case_ids == [case.pk] and event.actor == api.user
    again = api.post(
        f"/api/v1/accounts/{account.pk}/protection/",
        {"protected": True, "reason": "enterprise customer"},
        format="json",
    )
    assert again.status_code == 409


@pytest.mark.parametrize("role", ["investigator", *OTHER_READERS])
def test_only_leads_protect_accounts_through_the_api(as_role, role):
    account = Account.objects.create(external_id="acct_partner")
    response = as_role(role).post(
        f"/api/v1/accounts/{account.pk}/protection/",
        {"protected": True, "reason": "mine"},
        format="json",
    )
    assert response.status_code == 403
    account.refresh_from_db()
    assert not account.is_protected


def test_the_case_list_filters_by_escalation_level(as_role):
    legal = make_case(status="escalated", escalation_level="legal")
    make_case(status="escalated", escalation_level="policy")
    make_case()
    api = as_role("lead")
    assert ids(api.get("/api/v1/cases/?escalation=legal")) == [legal.pk]
    rows = api.get("/api/v1/cases/?escalation=legal&escalation=policy").json()["results"]
    assert sorted(row["escalation_level"] for row in rows) == ["legal", "policy"]
    assert api.get("/api/v1/cases/?escalation=nowhere").status_code == 400
