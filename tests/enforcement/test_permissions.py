"""Every role on every action page and endpoint; refusals are answered 403 and audited."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from enforcement.models import Action, ActionState
from enforcement.workflow import approve_action, propose_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db

ROLES = ["investigator", "lead", "manager", "policy", "legal", "executive", "administrator"]
CASE_WORKERS = {"investigator", "lead", "manager", "policy", "legal", "executive"}


@pytest.fixture
def proposed(people):
    case, _ = make_case_with_accounts(2)
    return propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")


def user_for(role, make_user):
    if role == "superuser":
        return make_user(username="root_no_roles", is_superuser=True, is_staff=True)
    return make_user(role)


ALL = [*ROLES, "superuser"]


@pytest.mark.parametrize("role", ALL)
def test_only_leads_see_the_approvals_queue(client, make_user, role, proposed):
    client.force_login(user_for(role, make_user))
    response = client.get(reverse("enforcement:approvals"))
    assert response.status_code == (200 if role == "lead" else 403)
    if role == "lead":
        assert f"#{proposed.pk}" in response.content.decode()


@pytest.mark.parametrize("role", ALL)
def test_case_workers_see_an_action_and_its_progress(client, make_user, role, proposed):
    client.force_login(user_for(role, make_user))
    expected = 200 if role in CASE_WORKERS else 403
    assert client.get(reverse("enforcement:action", args=[proposed.pk])).status_code == expected
    progress = client.get(reverse("enforcement:progress", args=[proposed.pk]))
    assert progress.status_code == expected
    if expected == 200:
        assert progress.json()["label"] == "0 of 2 accounts suspended"


@pytest.mark.parametrize("role", ALL)
def test_only_investigators_and_leads_propose_through_the_page(client, make_user, role, proposed):
    client.force_login(user_for(role, make_user))
    url = reverse("enforcement:propose", args=[proposed.case_id])
    assert client.get(url).status_code == (200 if role in ("investigator", "lead") else 403)
    response = client.post(url, {"kind": "require_verification", "rationale": "Same cluster"})
    assert response.status_code == (302 if role in ("investigator", "lead") else 403)


@pytest.mark.parametrize("role", ALL)
def test_only_a_lead_other_than_the_proposer_approves_through_the_page(
    client, make_user, role, proposed
):
    user = user_for(role, make_user)
    client.force_login(user)
    response = client.post(reverse("enforcement:approve", args=[proposed.pk]), {"comment": "ok"})
    proposed.refresh_from_db()
    if role == "lead":
        assert response.status_code == 302
        assert proposed.state == ActionState.APPROVED
    else:
        assert response.status_code == 403
        assert proposed.state == ActionState.PROPOSED
        if role != "superuser":  # no role at all: refused before any step is tried
            assert AuditEvent.objects.filter(verb="action.approve_refused", actor=user).exists()


def test_the_proposer_lead_is_refused_on_the_page_and_the_refusal_audited(client, people):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.super_lead, kind="suspend_accounts")
    client.force_login(people.super_lead)
    response = client.post(reverse("enforcement:approve", args=[action.pk]))
    assert response.status_code == 403
    assert "proposer" in response.content.decode()
    assert AuditEvent.objects.filter(
        verb="action.approve_refused", actor=people.super_lead
    ).exists()


def test_bulk_approval_approves_the_selected_and_reports_refusals(client, people):
    case, _ = make_case_with_accounts(2)
    mine = propose_action(case.pk, actor=people.lead, kind="suspend_accounts")
    theirs = propose_action(case.pk, actor=people.investigator, kind="require_verification")
    client.force_login(people.lead)
    response = client.post(
        reverse("enforcement:approvals"),
        {"action": [mine.pk, theirs.pk], "decision": "approve", "comment": "Batch"},
        follow=True,
    )
    text = response.content.decode()
    assert f"Action #{mine.pk}: The proposer of an action cannot approve it." in text
    assert f"Approved #{theirs.pk}: execution starts now (see each action)." in text
    assert Action.objects.get(pk=theirs.pk).approval_comment == "Batch"
    assert Action.objects.get(pk=mine.pk).state == ActionState.PROPOSED


@pytest.mark.parametrize("role", ALL)
def test_only_leads_revert(client, make_user, role, people, settings):
    settings.ENFORCEMENT_BACKEND = "log"
    from enforcement.execution import run_action

    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    approve_action(action.pk, actor=people.other_lead)
    run_action(action.pk)
    client.force_login(user_for(role, make_user))
    response = client.post(reverse("enforcement:revert", args=[action.pk]), {"reason": "appeal"})
    action.refresh_from_db()
    if role == "lead":
        assert response.status_code == 302 and action.state == ActionState.REVERTING
    else:
        assert response.status_code == 403 and action.state == ActionState.EXECUTED


# --- the API ----------------------------------------------------------------


@pytest.mark.parametrize("role", ALL)
def test_case_workers_list_actions_through_the_api(client, make_user, role, proposed):
    client.force_login(user_for(role, make_user))
    response = client.get("/api/v1/actions/")
    if role in CASE_WORKERS:
        assert response.status_code == 200
        (row,) = response.json()["results"]
        assert (row["id"], row["state"], row["targets"]) == (proposed.pk, "proposed", 2)
    else:
        assert response.status_code == 403


def test_an_anonymous_caller_is_refused(client, proposed):
    assert client.get("/api/v1/actions/").status_code in (401, 403)
    assert client.post(f"/api/v1/actions/{proposed.pk}/approve/").status_code in (401, 403)


@pytest.mark.parametrize("role", ALL)
def test_only_a_lead_other_than_the_proposer_approves_through_the_api(
    client, make_user, role, proposed
):
    user = user_for(role, make_user)
    client.force_login(user)
    response = client.post(
        f"/api/v1/actions/{proposed.pk}/approve/",
        {"comment": "ok"},
        content_type="application/json",
    )
    if role == "lead":
        assert response.status_code == 200
        assert response.json()["state"] == "approved"
        assert response.json()["approval_comment"] == "ok"
    else:
        assert response.status_code == 403
        assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("step", ["reject", "revert", "retry", "withdraw"])
@pytest.mark.parametrize("role", ["manager", "policy", "legal", "executive", "superuser"])
def test_roles_without_a_say_are_refused_every_step(client, make_user, role, step, proposed):
    client.force_login(user_for(role, make_user))
    response = client.post(
        f"/api/v1/actions/{proposed.pk}/{step}/", {}, content_type="application/json"
    )
    assert response.status_code == 403


def test_approving_twice_answers_409(client, people, proposed):
    client.force_login(people.lead)
    assert client.post(f"/api/v1/actions/{proposed.pk}/approve/").status_code == 200
    client.force_login(people.other_lead)
    response = client.post(f"/api/v1/actions/{proposed.pk}/approve/")
    assert response.status_code == 409
    assert AuditEvent.objects.filter(
        verb="action.approve_refused", actor=people.other_lead
    ).exists()


def test_proposing_through_the_api(client, people):
    case, accounts = make_case_with_accounts(2, protected={0})
    client.force_login(people.investigator)
    response = client.post(
        "/api/v1/actions/",
        {
            "case": case.pk,
            "kind": "rate_limit",
            "targets": [{"type": "account", "value": a.external_id} for a in accounts],
            "params": {"requests_per_minute": 5},
            "rationale": "Scraping",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["targets"] == 1
    bad = client.post(
        "/api/v1/actions/",
        {"case": case.pk, "kind": "block_network", "targets": [{"type": "account", "value": "x"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "targets"


def test_reverting_one_target_through_the_api(client, people, settings):
    settings.ENFORCEMENT_BACKEND = "log"
    from enforcement.execution import run_action

    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    approve_action(action.pk, actor=people.lead)
    run_action(action.pk)
    first = action.targets.order_by("pk").first()
    client.force_login(people.lead)
    response = client.post(
        f"/api/v1/actions/{action.pk}/revert/",
        {"targets": [first.pk], "reason": "appeal"},
        content_type="application/json",
    )
    assert response.status_code == 200
    run_action(action.pk)
    states = client.get(f"/api/v1/actions/{action.pk}/targets/").json()["results"]
    assert [t["state"] for t in states] == ["reverted", "executed"]


def test_a_superuser_cannot_approve_through_the_admin(client, people, proposed):
    client.force_login(people.super_lead)
    url = reverse("admin:enforcement_action_change", args=[proposed.pk])
    response = client.post(url, {"state": "approved", "approved_by": people.super_lead.pk})
    assert response.status_code == 403
    proposed.refresh_from_db()
    assert proposed.state == ActionState.PROPOSED and proposed.approved_by is None


@pytest.mark.parametrize("role", ALL)
def test_leads_and_administrators_resume_a_paused_action(client, make_user, role, people):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    approve_action(action.pk, actor=people.lead)
    Action.objects.filter(pk=action.pk).update(
        state="paused", paused_reason="HTTP 401: not trusted"
    )
    client.force_login(user_for(role, make_user))
    response = client.post(
        f"/api/v1/actions/{action.pk}/retry/", {}, content_type="application/json"
    )
    allowed = role in ("lead", "administrator")
    assert response.status_code == (200 if allowed else 403)
    action.refresh_from_db()
    assert action.state == ("executing" if allowed else "paused")


def test_the_approvals_page_tells_leads_about_paused_actions(client, people):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    Action.objects.filter(pk=action.pk).update(
        state="paused", paused_reason="HTTP 401: bad signature"
    )
    client.force_login(people.lead)
    page = client.get(reverse("enforcement:approvals")).content.decode()
    assert "Paused: the enforcement service refused" in page
    assert "HTTP 401: bad signature" in page


def test_a_step_never_redirects_off_site(client, people):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    client.force_login(people.lead)
    response = client.post(
        reverse("enforcement:approve", args=[action.pk]), {"next": "https://elsewhere.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("enforcement:action", args=[action.pk])
