"""The Django admin shows the cases core but cannot change what the workflow controls."""

import pytest
from django.contrib import admin

from audit.models import AuditEvent
from cases.models import (
    Account,
    AccountIndicator,
    Case,
    CaseAccount,
    Evidence,
    EvidenceKind,
    Indicator,
    Note,
)
from enforcement.models import Action, ActionTarget


@pytest.fixture
def admin_client(client, person):
    # A superuser who leads: the admin shows cases only to those who may see them.
    client.force_login(person("lead", is_staff=True, is_superuser=True))
    return client


def test_every_cases_model_is_in_the_admin():
    for model in (
        Case,
        Account,
        Indicator,
        CaseAccount,
        AccountIndicator,
        Evidence,
        Note,
        Action,
        ActionTarget,
    ):
        assert admin.site.is_registered(model), model


def test_an_administrator_cannot_change_a_cases_status_through_the_admin(admin_client, make_case):
    case = make_case("investigating", title="Proxy network")
    page = admin_client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    assert b'name="resolution"' not in page.content
    assert b'name="assignee"' not in page.content

    admin_client.post(
        f"/admin/cases/case/{case.pk}/change/",
        {
            "title": "Proxy network AS64500",
            "tlp": "amber",
            "tags": "[]",
            "status": "closed",
            "resolution": "benign",
            "account_links-TOTAL_FORMS": "0",
            "account_links-INITIAL_FORMS": "0",
            "notes-TOTAL_FORMS": "0",
            "notes-INITIAL_FORMS": "0",
        },
    )
    case.refresh_from_db()
    # The edit was saved; the status and resolution in it were ignored.
    assert case.title == "Proxy network AS64500"
    assert (case.status, case.resolution) == ("investigating", "")
    event = AuditEvent.objects.exclude(verb="auth.login").get()
    assert (event.verb, event.case_ids) == ("admin.changed", [case.pk])
    assert event.before == {"title": "Proxy network"}
    assert event.after == {"title": "Proxy network AS64500"}


def test_evidence_is_view_only_in_the_admin(admin_client, make_case):
    evidence = Evidence.objects.create(
        case=make_case(), kind=EvidenceKind.TEXT, title="Sample", content="p", sha256="0" * 64
    )
    assert admin_client.get(f"/admin/cases/evidence/{evidence.pk}/change/").status_code == 200
    assert admin_client.get("/admin/cases/evidence/add/").status_code == 403
    assert admin_client.post(f"/admin/cases/evidence/{evidence.pk}/delete/").status_code == 403
    response = admin_client.post(
        f"/admin/cases/evidence/{evidence.pk}/change/", {"title": "x", "sha256": "1" * 64}
    )
    assert response.status_code == 403
    evidence.refresh_from_db()
    assert (evidence.title, evidence.sha256) == ("Sample", "0" * 64)


@pytest.mark.parametrize(
    "model",
    [
        "cases/case",
        "cases/account",
        "cases/indicator",
        "cases/caseaccount",
        "cases/accountindicator",
        "cases/note",
        "enforcement/action",
    ],
)
def test_every_changelist_renders(model, admin_client, make_case):
    make_case()
    assert admin_client.get(f"/admin/{model}/").status_code == 200


def test_the_protected_flag_is_read_only_in_the_admin(admin_client):
    account = Account.objects.create(external_id="acct_partner")
    page = admin_client.get(f"/admin/cases/account/{account.pk}/change/")
    assert 'name="is_protected"' not in page.content.decode()
    admin_client.post(
        f"/admin/cases/account/{account.pk}/change/",
        {"is_protected": "on", "protected_reason": "research programme partner"},
    )
    account.refresh_from_db()
    assert not account.is_protected


def test_too_common_is_read_only_in_the_admin(admin_client):
    indicator = Indicator.objects.create(type="prompt_cluster", value="scanner/pc-1")
    page = admin_client.get(f"/admin/cases/indicator/{indicator.pk}/change/")
    assert page.status_code == 200
    assert 'name="is_too_common"' not in page.content.decode()
    admin_client.post(
        f"/admin/cases/indicator/{indicator.pk}/change/", {"is_too_common": "on"}, follow=True
    )
    indicator.refresh_from_db()
    assert not indicator.is_too_common


@pytest.mark.parametrize("model", ["cases/case", "cases/account", "cases/indicator"])
def test_case_records_are_not_added_through_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/{model}/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/{model}/add/", {"title": "x", "external_id": "x"}).status_code
        == 403
    )


def test_an_actions_approvals_are_read_only_in_the_admin(admin_client, make_case, person):
    proposer = person("investigator")
    action = Action.objects.create(case=make_case(), kind="suspend_accounts", proposed_by=proposer)
    page = admin_client.get(f"/admin/enforcement/action/{action.pk}/change/")
    assert page.status_code == 200
    assert 'name="approved_by"' not in page.content.decode()
    response = admin_client.post(
        f"/admin/enforcement/action/{action.pk}/change/",
        {"state": "approved", "approved_by": str(proposer.pk)},
    )
    assert response.status_code == 403
    action.refresh_from_db()
    assert (action.state, action.approved_by_id) == ("proposed", None)
    assert admin_client.get("/admin/enforcement/action/add/").status_code == 403
    assert admin_client.post(f"/admin/enforcement/action/{action.pk}/delete/").status_code == 403
