"""The Django admin hides a TLP:RED case, and all that belongs to it, from
everyone the case pages hide it from, superusers included."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from audit.events import record
from cases.models import CaseAccount, Evidence, EvidenceKind, Note, ReviewFlag
from enforcement.models import Action, ActionTarget
from ingestion.models import Alert, Batch, Detector
from tests.cases.factories import make_account, make_indicator

pytestmark = pytest.mark.django_db

SECRET = "Nightjar"
# Searching echoes the term in the search box: search in lower case, which
# matches the records (searches ignore case) but not SECRET.
SEARCH = SECRET.lower()


@pytest.fixture
def superuser(client, person):
    """Signs in a superuser holding ``kind`` ("nobody": no role) to the admin."""

    def sign_in(kind: str = "nobody"):
        user = person(kind, is_staff=True, is_superuser=True)
        client.force_login(user)
        return user

    return sign_in


@pytest.fixture
def red_case(make_case, person):
    """A TLP:RED case with a record of every kind the admin lists, each naming it."""
    case = make_case("investigating", title=f"Operation {SECRET}", tlp="red")
    author = person("lead")
    account = make_account("acct_nightjar")
    CaseAccount.objects.create(
        case=case, account=account, reason=f"{SECRET} payment", linked_by_detector="dx"
    )
    indicator = make_indicator("payment_fingerprint", "pf_nightjar", account)
    case.records = {
        "note": Note.objects.create(case=case, author=author, body=f"{SECRET} notes"),
        "evidence": Evidence.objects.create(
            case=case, kind=EvidenceKind.TEXT, title=f"{SECRET} sample", sha256="0" * 64
        ),
        "caseaccount": CaseAccount.objects.get(case=case),
        "reviewflag": ReviewFlag.objects.create(
            case=case, indicator=indicator, kind="worked_cases", detail=f"{SECRET} flag"
        ),
        "action": Action.objects.create(
            case=case, kind="suspend_accounts", proposed_by=author, rationale=f"{SECRET} why"
        ),
    }
    case.records["actiontarget"] = ActionTarget.objects.create(
        action=case.records["action"], target_type="account", value="acct_nightjar"
    )
    detector = Detector.objects.create(name="cot-classifier")
    batch = Batch.objects.create(detector=detector, raw_body=f'{{"note": "{SECRET}"}}'.encode())
    case.batch = batch
    case.records["alert"] = Alert.objects.create(
        batch=batch,
        detector=detector,
        external_id="a-1",
        kind="distillation.cot_elicitation",
        severity="high",
        observed_at=timezone.now(),
        payload={"summary": f"{SECRET} traffic"},
        case=case,
    )
    with transaction.atomic():
        case.event = record("case.noted", actor=author, target=case, reason=f"{SECRET} noted")
    return case


PATHS = {
    "note": "cases/note",
    "evidence": "cases/evidence",
    "caseaccount": "cases/caseaccount",
    "reviewflag": "cases/reviewflag",
    "action": "enforcement/action",
    "actiontarget": "enforcement/actiontarget",
    "alert": "ingestion/alert",
}


def changelist(client, path: str, **params) -> str:
    response = client.get(f"/admin/{path}/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_superuser_without_roles_finds_no_red_case_in_the_case_list_or_search(
    client, superuser, red_case
):
    superuser()
    assert SECRET not in changelist(client, "cases/case")
    assert SECRET not in changelist(client, "cases/case", q=SEARCH)
    # The list a related-object lookup opens in its pop-up.
    assert SECRET not in changelist(client, "cases/case", _to_field="id", _popup="1")


def test_a_superuser_without_roles_cannot_open_a_red_case_in_the_admin(client, superuser, red_case):
    superuser()
    for page in ("change", "history"):
        response = client.get(f"/admin/cases/case/{red_case.pk}/{page}/", follow=True)
        # Answered as for a case that does not exist: back to the admin's index.
        assert response.redirect_chain[0][1] == 302
        assert SECRET not in response.content.decode()


def test_a_superuser_without_roles_cannot_change_a_red_case_in_the_admin(
    client, superuser, red_case
):
    superuser()
    client.post(f"/admin/cases/case/{red_case.pk}/change/", {"title": "Renamed"})
    red_case.refresh_from_db()
    assert red_case.title == f"Operation {SECRET}"


@pytest.mark.parametrize("kind", sorted(PATHS))
def test_a_superuser_without_roles_finds_no_record_of_a_red_case(client, superuser, red_case, kind):
    superuser()
    assert SECRET not in changelist(client, PATHS[kind])
    assert SECRET not in changelist(client, PATHS[kind], q=SEARCH)
    row = red_case.records[kind]
    response = client.get(f"/admin/{PATHS[kind]}/{row.pk}/change/", follow=True)
    assert response.redirect_chain[0][1] == 302
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize("kind", sorted(PATHS))
def test_a_superuser_who_may_not_see_the_case_finds_none_of_its_records(
    client, superuser, red_case, kind
):
    # An investigator who is not its assignee is refused a TLP:RED case.
    superuser("investigator")
    assert SECRET not in changelist(client, PATHS[kind])
    response = client.get(f"/admin/{PATHS[kind]}/{red_case.records[kind].pk}/change/")
    assert response.status_code == 302


@pytest.mark.parametrize("kind", sorted(PATHS))
def test_a_lead_who_is_superuser_sees_the_red_cases_records(client, superuser, red_case, kind):
    superuser("lead")
    response = client.get(f"/admin/{PATHS[kind]}/{red_case.records[kind].pk}/change/")
    assert response.status_code == 200


def test_an_investigator_who_is_superuser_sees_other_cases_but_not_the_red_one(
    client, superuser, red_case, make_case
):
    superuser("investigator")
    make_case(title="Proxy network AS64500")
    page = changelist(client, "cases/case")
    assert "Proxy network AS64500" in page
    assert SECRET not in page


def test_the_assignee_of_a_red_case_sees_it_in_the_admin(client, superuser, red_case):
    red_case.assignee = superuser("investigator")
    red_case.save(update_fields=["assignee"])
    assert SECRET in changelist(client, "cases/case")


def test_a_visible_case_does_not_name_a_related_red_case(client, superuser, red_case, make_case):
    superuser("investigator")
    amber = make_case(title="Proxy network AS64500")
    amber.related_cases.add(red_case)
    merged = make_case("closed", title="Merged away", merged_into=red_case, resolution="duplicate")
    for case in (amber, merged):
        page = client.get(f"/admin/cases/case/{case.pk}/change/")
        assert page.status_code == 200
        assert SECRET not in page.content.decode()


def test_a_lead_sees_the_related_red_case_named(client, superuser, red_case, make_case):
    superuser("lead")
    amber = make_case(title="Proxy network AS64500")
    amber.related_cases.add(red_case)
    page = client.get(f"/admin/cases/case/{amber.pk}/change/")
    assert f"Operation {SECRET}" in page.content.decode()


@pytest.mark.parametrize("kind", ["nobody", "investigator"])
def test_the_trail_in_the_admin_leaves_out_the_events_of_a_hidden_red_case(
    client, superuser, red_case, kind
):
    superuser(kind)
    page = changelist(client, "audit/auditevent")
    assert SECRET not in page
    assert SECRET not in changelist(client, "audit/auditevent", q=SEARCH)
    response = client.get(f"/admin/audit/auditevent/{red_case.event.pk}/change/")
    assert response.status_code == 302


def test_a_lead_who_is_superuser_reads_the_red_cases_events_in_the_admin(
    client, superuser, red_case
):
    superuser("lead")
    assert SECRET in changelist(client, "audit/auditevent")


def test_events_of_no_case_stay_in_the_admin(client, superuser):
    superuser()
    with transaction.atomic():
        event = record("detector.changed", system="test", reason="rate raised")
    response = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert response.status_code == 200


def test_a_batch_shows_no_raw_body_in_the_admin(client, superuser, red_case):
    superuser("lead")
    response = client.get(f"/admin/ingestion/batch/{red_case.batch.pk}/change/")
    assert response.status_code == 200
    assert SECRET not in response.content.decode()


def test_an_alert_of_no_case_stays_in_the_admin(client, superuser, red_case):
    superuser()
    alert = red_case.records["alert"]
    alert.pk = None
    alert.external_id, alert.case, alert.payload = "a-2", None, {}
    alert.save()
    response = client.get(f"/admin/ingestion/alert/{alert.pk}/change/")
    assert response.status_code == 200


def test_the_admin_index_lists_no_recent_actions_naming_a_case(client, superuser, red_case):
    user = superuser("investigator")
    # Left by an edit made while the person still led, say.
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(red_case),
        object_id=str(red_case.pk),
        object_repr=str(red_case),
        action_flag=CHANGE,
    )
    response = client.get("/admin/")
    assert response.status_code == 200
    assert SECRET not in response.content.decode()
