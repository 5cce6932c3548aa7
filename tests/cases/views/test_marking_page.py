"""The case page's TLP, tags and protection forms, and the queue's escalation column."""

import pytest

from audit.models import AuditEvent
from cases.models import Account, Case
from tests.cases.factories import link, make_case

pytestmark = pytest.mark.django_db

READERS_WHO_DO_NOT_MARK = ["manager", "policy", "legal", "executive"]


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_page_says_before_saving_who_will_no_longer_see_the_case(client, make_user):
    case = make_case(tlp="amber")
    body = signed_in(client, make_user("lead")).get(f"/cases/{case.pk}/").content.decode()
    assert 'id="tlp-form"' in body
    assert (
        "Investigators, policy, legal and executives who are not the assignee "
        "will no longer see this case." in body
    )


def test_an_investigator_is_told_they_would_lose_sight_and_cannot_lower_red(client, make_user):
    ivy = make_user("investigator")
    amber = make_case(tlp="amber")
    body = signed_in(client, ivy).get(f"/cases/{amber.pk}/").content.decode()
    assert "You will no longer see it." in body
    red = make_case(tlp="red", assignee=ivy)
    body = client.get(f"/cases/{red.pk}/").content.decode()
    assert "Only leads lower a case from TLP:RED." in body
    assert 'value="amber" id="tlp-amber" aria-describedby="tlp-amber-sight" disabled' in body


@pytest.mark.parametrize("role", ["investigator", "lead"])
def test_investigators_and_leads_set_the_tlp_on_the_page(client, make_user, role):
    case = make_case(tlp="amber")
    user = make_user(role)
    response = signed_in(client, user).post(
        f"/cases/{case.pk}/tlp/", {"tlp": "green", "reason": "partner", "version": case.version}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).tlp == "green"
    assert AuditEvent.objects.get(verb="case.tlp_changed").actor == user


@pytest.mark.parametrize("role", READERS_WHO_DO_NOT_MARK)
def test_other_readers_are_refused_marking_and_tagging(client, make_user, role):
    case = make_case(tlp="amber", tags=["proxy"])
    signed_in(client, make_user(role))
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="tlp-form"' not in body and 'id="tags-form"' not in body
    assert client.post(f"/cases/{case.pk}/tlp/", {"tlp": "green", "version": 1}).status_code == 403
    response = client.post(f"/cases/{case.pk}/tags/", {"add": "x"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.tlp, case.tags) == ("amber", ["proxy"])
    assert AuditEvent.objects.filter(verb="case.operation_refused").count() == 2


def test_marking_red_a_case_one_is_not_assigned_leads_back_to_the_queue(client, make_user):
    case = make_case(tlp="amber")
    response = signed_in(client, make_user("investigator")).post(
        f"/cases/{case.pk}/tlp/", {"tlp": "red", "version": case.version}
    )
    assert response.status_code == 302 and response.url == "/cases/"
    assert client.get(f"/cases/{case.pk}/").status_code == 404


def test_tags_are_added_removed_and_suggested_from_alert_labels(client, make_user):
    case = make_case(tags=["proxy"])
    alert_model = Case.alerts.field.model
    batch_model = alert_model._meta.get_field("batch").related_model
    detector = alert_model._meta.get_field("detector").related_model.objects.create(name="dx")
    batch = batch_model.objects.create(detector=detector)
    for n, labels in enumerate([["cot-elicitation", "proxy"], ["cot-elicitation"], ["scraper"]]):
        alert_model.objects.create(
            batch=batch,
            detector=detector,
            external_id=f"a{n}",
            kind="distillation",
            severity="high",
            observed_at=case.created_at,
            payload={"labels": labels},
            case=case,
        )
    signed_in(client, make_user("investigator"))
    response = client.get(f"/cases/{case.pk}/")
    assert response.context["suggested_tags"] == ["cot-elicitation", "scraper"]
    assert 'aria-label="Add tag cot-elicitation"' in response.content.decode()
    response = client.post(f"/cases/{case.pk}/tags/", {"add": "cot-elicitation, reseller"})
    assert response.status_code == 302
    response = client.post(f"/cases/{case.pk}/tags/", {"remove": "proxy"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).tags == ["cot-elicitation", "reseller"]
    response = client.post(f"/cases/{case.pk}/tags/", {"add": "reseller"})
    assert response.status_code == 400
    assert "Already tagged reseller" in response.content.decode()


def protect(client, case, accounts, operation="protect", reason="enterprise customer"):
    return client.post(
        f"/cases/{case.pk}/accounts/selected/",
        {
            "accounts": [account.pk for account in accounts],
            "operation": operation,
            "reason": reason,
            "version": case.version,
        },
    )


def test_a_lead_protects_an_account_on_the_case_page(client, make_user):
    case = make_case()
    account = Account.objects.create(external_id="acct_partner")
    link(case, account)
    lead = make_user("lead")
    body = signed_in(client, lead).get(f"/cases/{case.pk}/").content.decode()
    assert 'aria-label="Select acct_partner"' in body and "Protect selected" in body
    response = protect(client, case, [account])
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.is_protected, account.protected_reason) == (True, "enterprise customer")
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Account acct_partner is protected: no action touches it" in body
    assert "enterprise customer" in body and ">protected<" in body
    response = protect(client, case, [account], "unprotect", "contract ended")
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.is_protected, account.protected_reason) == (False, "")
    assert (
        "Account acct_partner is no longer protected."
        in client.get(f"/cases/{case.pk}/").content.decode()
    )


def test_a_lead_protects_the_ticked_accounts_at_once(client, make_user):
    case = make_case()
    accounts = [Account.objects.create(external_id=f"acct_{n}") for n in range(3)]
    for account in accounts:
        link(case, account)
    response = protect(signed_in(client, make_user("lead")), case, accounts[1:], reason="partner")
    assert response.status_code == 302
    assert list(
        Account.objects.filter(is_protected=True).values_list("external_id", flat=True)
    ) == ["acct_1", "acct_2"]
    events = AuditEvent.objects.filter(verb="account.protected").order_by("sequence")
    assert [(e.target_id, e.reason) for e in events] == [
        (str(account.pk), "partner") for account in accounts[1:]
    ]
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Accounts acct_1 and acct_2 are protected: no action touches them" in body


def test_one_account_already_protected_refuses_the_whole_selection(client, make_user):
    case = make_case()
    plain = Account.objects.create(external_id="acct_plain")
    lifted = Account.objects.create(external_id="acct_lifted")
    for account in (plain, lifted):
        link(case, account)
    plain.is_protected, plain.protected_reason = True, "partner"
    plain.save()
    response = protect(signed_in(client, make_user("lead")), case, [plain, lifted], "unprotect")
    # Refused and sent back to the case, which says why.
    assert response.status_code == 302
    body = client.get(response.url).content.decode()
    assert "Account acct_lifted is already not protected" in body
    assert not AuditEvent.objects.filter(verb="account.unprotected").exists()
    plain.refresh_from_db()
    assert plain.is_protected


@pytest.mark.parametrize("role", ["investigator", *READERS_WHO_DO_NOT_MARK])
def test_only_leads_protect_accounts_on_the_page(client, make_user, role):
    case = make_case()
    account = Account.objects.create(external_id="acct_partner")
    link(case, account)
    signed_in(client, make_user(role))
    assert "Protect selected" not in client.get(f"/cases/{case.pk}/").content.decode()
    response = protect(client, case, [account], reason="mine")
    assert response.status_code == 403
    account.refresh_from_db()
    assert not account.is_protected


def test_a_protection_needs_a_reason_named_at_the_form(client, make_user):
    case = make_case()
    account = Account.objects.create(external_id="acct_partner")
    link(case, account)
    response = protect(signed_in(client, make_user("lead")), case, [account], reason="")
    assert response.status_code == 400
    form = response.content.decode().split('id="account-selection"')[1].split("</form>")[0]
    assert "Reason: This field is required." in form


def test_the_queue_shows_and_filters_by_escalation_level(client, make_user):
    legal = make_case(title="To legal", status="escalated", escalation_level="legal")
    make_case(title="To policy", status="escalated", escalation_level="policy")
    make_case(title="Plain")
    signed_in(client, make_user("investigator"))
    response = client.get("/cases/?escalation=legal")
    assert [case.pk for case in response.context["cases"]] == [legal.pk]
    body = response.content.decode()
    assert "<th>Escalation</th>" in body
    assert '<span class="badge escalated">Legal</span>' in body
    assert client.get("/cases/?escalation=nowhere").context["cases"] == []


def test_colleagues_tagging_at_once_do_not_conflict(client, make_user):
    case = make_case(tags=["proxy"])
    signed_in(client, make_user("investigator"))
    assert client.post(f"/cases/{case.pk}/tags/", {"add": "reseller"}).status_code == 302
    signed_in(client, make_user("lead"))
    assert client.post(f"/cases/{case.pk}/tags/", {"remove": "proxy"}).status_code == 302
    assert Case.objects.get(pk=case.pk).tags == ["reseller"]
