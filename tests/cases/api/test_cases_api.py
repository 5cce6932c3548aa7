import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from cases import workflow
from cases.models import Case
from tests.cases.factories import link, make_account, make_case, make_indicator

pytestmark = pytest.mark.django_db

CASE_ROLES = ["investigator", "lead", "manager", "policy", "legal", "executive"]
WORKERS = ["investigator", "lead"]


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("role", CASE_ROLES)
def test_every_case_role_lists_and_reads_cases(as_role, role):
    case = make_case(title="Visible")
    api = as_role(role)
    response = api.get("/api/v1/cases/")
    assert response.status_code == 200
    assert ids(response) == [case.pk]
    detail = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["title"] == "Visible"
    assert detail["version"] == 1
    assert "allowed_transitions" in detail


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases/",
        "/api/v1/cases/{pk}/",
        "/api/v1/cases/{pk}/notes/",
        "/api/v1/cases/{pk}/evidence/",
        "/api/v1/cases/{pk}/transitions/",
        "/api/v1/cases/{pk}/accounts/",
        "/api/v1/accounts/",
        "/api/v1/indicators/",
    ],
)
@pytest.mark.parametrize("who", ["administrator", "superuser", "anonymous"])
def test_people_without_a_case_role_are_refused(as_role, api, url, who):
    case = make_case()
    if who == "superuser":
        as_role(is_superuser=True, is_staff=True)
    elif who == "administrator":
        as_role("administrator")
    response = api.get(url.format(pk=case.pk))
    assert response.status_code == (401 if who == "anonymous" else 403)
    assert response.json()["errors"][0]["message"]


def test_the_list_takes_the_queue_filters(as_role):
    api = as_role("investigator")
    mine = make_case(title="Mine", severity="high", assignee=api.user)
    make_case(title="Low", severity="low")
    assert ids(api.get("/api/v1/cases/?assignee=me")) == [mine.pk]
    assert ids(api.get("/api/v1/cases/?severity=high")) == [mine.pk]
    assert ids(api.get("/api/v1/cases/?q=mine")) == [mine.pk]
    response = api.get("/api/v1/cases/?severity=bogus")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "severity"


@pytest.mark.parametrize("sort", ["due", "severity", "activity"])
def test_cursor_pages_cover_every_case_once(as_role, sort):
    api = as_role("lead")
    for n in range(25):
        make_case(title=f"c{n}", severity=["low", "high", "critical"][n % 3])
    seen, url, pages = [], f"/api/v1/cases/?sort={sort}&page_size=10", 0
    while url:
        body = api.get(url).json()
        seen.extend(row["id"] for row in body["results"])
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert sorted(seen) == sorted(Case.objects.values_list("id", flat=True))
    assert api.get("/api/v1/cases/?cursor=garbage").status_code == 400


def test_a_restricted_case_leaks_through_no_api_answer(as_role, make_user):
    owner = make_user("investigator")
    secret = make_case(title="Secret op", tlp="red", assignee=owner)
    account = make_account("acct_secret")
    link(secret, account)
    indicator = make_indicator("payment_fingerprint", "pf_secret", account)
    api = as_role("investigator")
    assert ids(api.get("/api/v1/cases/")) == []
    assert ids(api.get("/api/v1/cases/?q=Secret")) == []
    assert ids(api.get("/api/v1/cases/?tlp=red")) == []
    assert ids(api.get("/api/v1/cases/?has_account=acct_secret")) == []
    for suffix in ("", "notes/", "evidence/", "transitions/", "accounts/"):
        assert api.get(f"/api/v1/cases/{secret.pk}/{suffix}").status_code == 404
    assert api.post(f"/api/v1/cases/{secret.pk}/notes/", {"body": "x"}).status_code == 404
    account_detail = api.get(f"/api/v1/accounts/{account.pk}/").json()
    assert account_detail["cases"] == []
    indicator_detail = api.get(f"/api/v1/indicators/{indicator.pk}/").json()
    assert indicator_detail["cases"] == []
    # ...while the people it is meant for see it everywhere.
    for viewer in (owner, make_user("lead"), make_user("manager")):
        api.force_login(viewer)
        assert ids(api.get("/api/v1/cases/")) == [secret.pk]
        assert api.get(f"/api/v1/accounts/{account.pk}/").json()["cases"][0]["case"] == secret.pk
        assert api.get(f"/api/v1/indicators/{indicator.pk}/").json()["cases"] == [secret.pk]


def test_a_case_escalated_to_legal_is_seen_by_legal_only(as_role):
    secret = make_case(tlp="red", status="escalated", escalation_level="legal")
    assert ids(as_role("legal").get("/api/v1/cases/")) == [secret.pk]
    assert ids(as_role("policy").get("/api/v1/cases/")) == []


@pytest.mark.parametrize("role", CASE_ROLES)
def test_notes_by_role(as_role, role):
    case = make_case()
    api = as_role(role)
    response = api.post(f"/api/v1/cases/{case.pk}/notes/", {"body": "Seen <b>this</b>"})
    may = role in ("investigator", "lead", "policy", "legal", "executive")
    assert response.status_code == (201 if may else 403)
    notes = api.get(f"/api/v1/cases/{case.pk}/notes/").json()["results"]
    assert len(notes) == (1 if may else 0)
    if may:
        assert notes[0]["body"] == "Seen <b>this</b>"
    else:
        assert AuditEvent.objects.filter(verb="case.operation_refused").count() == 1


def test_a_blank_note_is_a_field_error(as_role):
    case = make_case()
    response = as_role("investigator").post(f"/api/v1/cases/{case.pk}/notes/", {"body": ""})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("role", CASE_ROLES)
def test_evidence_by_role(as_role, role):
    case = make_case()
    api = as_role(role)
    content = b"prompt: explain step by step"
    upload = SimpleUploadedFile("sample.txt", content)
    response = api.post(f"/api/v1/cases/{case.pk}/evidence/", {"file": upload}, format="multipart")
    if role in WORKERS:
        assert response.status_code == 201
        body = response.json()
        assert body["sha256"] == hashlib.sha256(content).hexdigest()
        read = api.get(body["content_url"])
        assert read.status_code == 200
        assert read["Content-Type"] == "text/plain; charset=utf-8"
        assert read.content == content
        assert AuditEvent.objects.filter(verb="evidence.viewed").count() == 1
    else:
        assert response.status_code == 403
        assert not case.evidence.exists()


def test_text_evidence_and_its_errors(as_role):
    case = make_case()
    api = as_role("investigator")
    response = api.post(
        f"/api/v1/cases/{case.pk}/evidence/",
        {"title": "Query log", "content": "<script>1</script>"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "text"
    response = api.post(f"/api/v1/cases/{case.pk}/evidence/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


@pytest.mark.parametrize("role", CASE_ROLES)
def test_transitions_by_role(as_role, role):
    case = make_case()
    api = as_role(role)
    allowed = api.get(f"/api/v1/cases/{case.pk}/transitions/").json()["allowed"]
    response = api.post(
        f"/api/v1/cases/{case.pk}/transitions/",
        {"to_status": "investigating", "reason": "pattern", "version": 1},
    )
    if role in WORKERS:
        assert "investigating" in allowed
        assert response.status_code == 200
        assert response.json()["status"] == "investigating"
    else:
        assert allowed == []
        assert response.status_code == 403
        assert "cannot move from new to investigating" in response.json()["errors"][0]["message"]
        case.refresh_from_db()
        assert case.status == "new"


def test_a_stale_transition_is_refused_with_409(as_role, make_user):
    case = make_case()
    workflow.transition(case.pk, "investigating", actor=make_user("lead", username="lee"))
    response = as_role("investigator").post(
        f"/api/v1/cases/{case.pk}/transitions/", {"to_status": "closed", "version": 1}
    )
    assert response.status_code == 409
    assert "its status was changed by lee" in response.json()["errors"][0]["message"]
    case.refresh_from_db()
    assert case.status == "investigating"


def test_a_severity_change_leaves_a_pending_transition_valid(as_role, make_user):
    case = make_case()
    workflow.set_severity(case.pk, "high", actor=make_user("lead", username="lee"))
    response = as_role("investigator").post(
        f"/api/v1/cases/{case.pk}/transitions/", {"to_status": "triage", "version": 1}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "triage"


def test_assigning_to_no_active_person_is_a_400_naming_the_field(as_role, make_user):
    case = make_case()
    gone = make_user("lead", username="gone")
    gone.is_active = False
    gone.save()
    api = as_role("lead")
    for name in ("nobody-here", "gone"):
        response = api.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": name})
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"index": None, "field": "assignee", "message": f"No active person named {name!r}."}
        ]
    case.refresh_from_db()
    assert case.assignee is None and case.version == 1


def test_a_blank_assignee_unassigns_the_case(as_role):
    api = as_role("lead")
    case = make_case(assignee=api.user)
    body = api.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": " "}).json()
    assert body["assignee"] is None


def test_assign_severity_and_attribution(as_role):
    case = make_case()
    api = as_role("investigator")
    body = api.post(f"/api/v1/cases/{case.pk}/assign/", {"assignee": "me"}).json()
    assert body["assignee"] == api.user.username
    body = api.post(f"/api/v1/cases/{case.pk}/severity/", {"severity": "critical"}).json()
    assert body["severity"] == "critical"
    body = api.post(
        f"/api/v1/cases/{case.pk}/attribution/",
        {"actor": "Lab X", "confidence": "medium", "rationale": "shared card", "version": 3},
    ).json()
    assert body["attribution"] == {
        "actor": "Lab X",
        "confidence": "medium",
        "rationale": "shared card",
    }
    response = as_role("manager").post(f"/api/v1/cases/{case.pk}/severity/", {"severity": "low"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", CASE_ROLES)
def test_linking_and_unlinking_accounts_by_role(as_role, role):
    case = make_case()
    make_account("acct_1")
    api = as_role(role)
    response = api.post(
        f"/api/v1/cases/{case.pk}/accounts/", {"external_id": "acct_1", "reason": "same card"}
    )
    if role not in WORKERS:
        assert response.status_code == 403
        return
    assert response.status_code == 201
    links = api.get(f"/api/v1/cases/{case.pk}/accounts/").json()["results"]
    assert [(row["external_id"], row["reason"]) for row in links] == [("acct_1", "same card")]
    response = api.delete(f"/api/v1/cases/{case.pk}/accounts/acct_1/", {"reason": "wrong"})
    assert response.status_code == 204
    assert api.get(f"/api/v1/cases/{case.pk}/accounts/").json()["results"] == []


def test_linking_needs_a_known_account_and_a_reason(as_role):
    case = make_case()
    api = as_role("investigator")
    response = api.post(f"/api/v1/cases/{case.pk}/accounts/", {"external_id": "nope"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reason"
    response = api.post(f"/api/v1/cases/{case.pk}/accounts/", {"external_id": "n", "reason": "r"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": None, "field": "external_id", "message": "No platform account has this id."}
    ]
    assert not case.account_links.exists()


@pytest.mark.parametrize("role", CASE_ROLES)
def test_accounts_and_indicators_read_by_role(as_role, role):
    account = make_account("acct_7", is_protected=True)
    indicator = make_indicator("asn", "AS64500", account, too_common=True)
    api = as_role(role)
    rows = api.get("/api/v1/accounts/?is_protected=true").json()["results"]
    assert [row["external_id"] for row in rows] == ["acct_7"]
    detail = api.get(f"/api/v1/accounts/{account.pk}/").json()
    assert detail["indicators"][0]["value"] == "AS64500"
    rows = api.get("/api/v1/indicators/?type=asn").json()["results"]
    assert rows[0]["shared_accounts"] == 1 and rows[0]["is_too_common"] is True
    assert rows[0]["is_strong"] is False
    detail = api.get(f"/api/v1/indicators/{indicator.pk}/").json()
    assert detail["accounts"] == ["acct_7"]


def test_accounts_list_pages_by_cursor(as_role):
    for n in range(7):
        make_account(f"a{n}")
    api = as_role("manager")
    body = api.get("/api/v1/accounts/?page_size=3").json()
    seen = [row["external_id"] for row in body["results"]]
    while body["next"]:
        body = api.get(body["next"]).json()
        seen.extend(row["external_id"] for row in body["results"])
    assert sorted(seen) == [f"a{n}" for n in range(7)]


def test_case_list_query_count_does_not_grow_with_rows(as_role, django_assert_num_queries):
    api = as_role("investigator")
    make_case(assignee=api.user)
    with django_assert_num_queries(API_LIST_QUERIES):
        api.get("/api/v1/cases/")
    for n in range(30):
        make_case(title=f"c{n}", assignee=api.user if n % 2 else None)
    with django_assert_num_queries(API_LIST_QUERIES):
        response = api.get("/api/v1/cases/")
    assert len(response.json()["results"]) == 31


# session, user, roles, page
API_LIST_QUERIES = 4


def test_case_detail_and_sub_lists_query_counts_do_not_grow(
    as_role, make_user, django_assert_num_queries
):
    api = as_role("investigator")
    case = make_case()
    lead = make_user("lead")
    counts = {}
    for rows in (1, 12):
        for n in range(rows):
            workflow.add_note(case.pk, f"n{n}", actor=lead)
            workflow.add_evidence_text(case.pk, title=f"t{n}", content="c", actor=lead)
            account = make_account(f"acct_{rows}_{n}")
            link(case, account)
            case.related_cases.add(make_case(title=f"r{rows}{n}"))
        for suffix in ("", "notes/", "evidence/", "accounts/"):
            with CaptureQueriesContext(connection) as queries:
                assert api.get(f"/api/v1/cases/{case.pk}/{suffix}").status_code == 200
            counts.setdefault(suffix, []).append(len(queries))
    for suffix, (few, many) in counts.items():
        assert few == many, (suffix, few, many)
    # session, user, roles, case, related cases, review flags
    assert counts[""][0] == 6


@pytest.mark.parametrize(
    ("role", "closing"),
    [
        ("investigator", ["false_positive", "benign", "duplicate", "insufficient_evidence"]),
        (
            "lead",
            ["confirmed_abuse", "false_positive", "benign", "duplicate", "insufficient_evidence"],
        ),
    ],
)
def test_transitions_come_as_data_and_as_labels(as_role, role, closing):
    case = make_case(status="investigating")
    body = as_role(role).get(f"/api/v1/cases/{case.pk}/transitions/").json()
    assert [t["label"] for t in body["transitions"]] == body["allowed"]
    (close,) = [t for t in body["transitions"] if t["to_status"] == "closed"]
    assert close["resolutions"] == closing
    others = [t for t in body["transitions"] if t["to_status"] != "closed"]
    assert others and all(t["resolutions"] == [] for t in others)


def test_a_case_s_accounts_filter_as_the_case_page_does(as_role):
    case = make_case()
    for n, protected in enumerate((True, False, True)):
        link(case, make_account(f"acct_{n}", is_protected=protected, protected_reason="p"))
    api = as_role("investigator")
    rows = api.get(f"/api/v1/cases/{case.pk}/accounts/", {"protected": "true"}).json()["results"]
    assert [row["external_id"] for row in rows] == ["acct_2", "acct_0"]
    rows = api.get(f"/api/v1/cases/{case.pk}/accounts/", {"why": "nothing like it"}).json()
    assert rows["results"] == []


def test_legal_escalates_higher_and_hands_back_through_the_api_with_reasons(as_role):
    case = make_case(status="escalated", escalation_level="legal")
    api = as_role("legal")
    url = f"/api/v1/cases/{case.pk}/transitions/"

    offered = {t["to_status"]: t for t in api.get(url).json()["transitions"]}
    assert offered["escalated"]["levels"] == ["executive"]
    assert offered["escalated"]["label"] == "escalated"

    lower = api.post(url, {"to_status": "escalated", "level": "policy", "reason": "r"})
    assert lower.status_code == 400
    assert lower.json()["errors"][0]["field"] == "level"
    assert "it can go only higher: executive" in lower.json()["errors"][0]["message"]
    no_reason = api.post(url, {"to_status": "investigating"})
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"][0] == {
        "index": None,
        "field": "reason",
        "message": "Handing a case back needs a reason.",
    }

    handed = api.post(url, {"to_status": "investigating", "reason": "No exposure."})
    assert handed.status_code == 200
    assert (handed.json()["status"], handed.json()["escalation_level"]) == ("investigating", "")
