import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from cases import workflow
from cases.models import Note
from tests.cases.factories import link, make_account, make_case, make_indicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivy(make_user):
    return make_user("investigator", username="ivy")


@pytest.fixture
def case():
    return make_case(title="Operator cluster A", summary="Reasoning elicitation")


def login(client, user):
    client.force_login(user)
    return client


def page(client, case):
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_header(client, ivy, case):
    body = page(login(client, ivy), case)
    assert "Operator cluster A" in body
    assert 'id="case-status"' in body and "New" in body
    assert "TLP:AMBER" in body
    assert "unassigned" in body


def test_it_refuses_people_without_a_case_role_and_hides_unknown_cases(client, make_user, case):
    login(client, make_user("administrator"))
    assert client.get(f"/cases/{case.pk}/").status_code == 403
    login(client, make_user(is_superuser=True, is_staff=True))
    assert client.get(f"/cases/{case.pk}/").status_code == 403
    login(client, make_user("investigator"))
    assert client.get("/cases/999999/").status_code == 404


def test_it_offers_exactly_the_transitions_the_workflow_allows(client, ivy, make_user, case):
    response = login(client, ivy).get(f"/cases/{case.pk}/")
    offered = [t["to_status"] for t in response.context["transitions"]]
    assert offered == ["triage", "investigating", "closed"]
    closing = response.context["transitions"][-1]
    assert "confirmed_abuse" not in [value for value, _ in closing["resolutions"]]
    lead = make_user("lead")
    response = login(client, lead).get(f"/cases/{case.pk}/")
    closing = response.context["transitions"][-1]
    assert "confirmed_abuse" in [value for value, _ in closing["resolutions"]]


def test_a_manager_finds_nothing_that_changes_the_case(client, make_user, case):
    body = page(login(client, make_user("manager")), case)
    # Only the panels' filters (GET forms that change nothing) are offered.
    assert 'method="post"' not in body.split("<main ")[1]
    assert "Work the case" not in body


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("assign/", {"assignee": "me", "version": 1}),
        ("severity/", {"severity": "high", "version": 1}),
        ("transition/", {"to_status": "investigating", "version": 1}),
        ("notes/", {"body": "hi"}),
        ("accounts/", {"external_id": "acct_1", "reason": "x"}),
    ],
)
def test_a_forced_operation_is_refused_and_audited(client, make_user, case, url, data):
    make_account("acct_1")
    manager = make_user("manager")
    response = login(client, manager).post(f"/cases/{case.pk}/{url}", data)
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.version == 1 and case.assignee is None and case.severity == "medium"
    assert not Note.objects.exists()
    event = AuditEvent.objects.get(verb="case.operation_refused")
    assert event.actor == manager and event.case_ids == [case.pk]


def test_an_investigator_assigns_the_case_to_themself(client, ivy, case):
    login(client, ivy)
    response = client.post(f"/cases/{case.pk}/assign/", {"assignee": "me", "version": 1})
    assert response.status_code == 302
    body = page(client, case)
    assert re.search(r'id="case-assignee">ivy<', body)
    assert "Assigned to ivy" in body  # on the timeline


def test_assigning_to_no_active_person_shows_the_error_at_the_field(client, make_user, case):
    lead = make_user("lead", username="lee")
    response = login(client, lead).post(
        f"/cases/{case.pk}/assign/", {"assignee": "nobody-here", "version": 1}
    )
    assert response.status_code == 400
    assert "No active person named &#x27;nobody-here&#x27;." in response.content.decode()
    case.refresh_from_db()
    assert case.assignee is None and case.version == 1


def test_an_investigator_may_not_assign_someone_else(client, ivy, make_user, case):
    make_user("investigator", username="otto")
    response = login(client, ivy).post(
        f"/cases/{case.pk}/assign/", {"assignee": "otto", "version": 1}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(verb="case.operation_refused").count() == 1


def test_a_stale_form_is_refused_with_who_changed_it_and_when(client, ivy, make_user, case):
    lead = make_user("lead", username="lee")
    workflow.set_severity(case.pk, "critical", actor=lead)
    response = login(client, ivy).post(
        f"/cases/{case.pk}/severity/", {"severity": "low", "version": 1}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed by lee at" in body
    case.refresh_from_db()
    assert case.severity == "critical"
    # The form now carries the current version, so resubmitting is a deliberate choice.
    assert 'name="version" value="2"' in body


def test_field_errors_show_next_to_the_field(client, ivy, case):
    login(client, ivy)
    response = client.post(f"/cases/{case.pk}/accounts/", {"external_id": "nope", "reason": ""})
    assert response.status_code == 400
    body = response.content.decode()
    form = body.split('id="link-form"')[1].split("</form>")[0]
    assert "This field is required." in form
    response = client.post(f"/cases/{case.pk}/accounts/", {"external_id": "nope", "reason": "r"})
    form = response.content.decode().split('id="link-form"')[1].split("</form>")[0]
    assert "No platform account has this id." in form


def selection(body: str) -> str:
    """The accounts panel's selection form."""
    return body.split('id="account-selection"')[1].split("</form>")[0]


def test_it_links_and_unlinks_an_account_with_a_reason(client, ivy, case):
    make_account("acct_9", is_protected=True, protected_reason="partner")
    login(client, ivy)
    response = client.post(
        f"/cases/{case.pk}/accounts/", {"external_id": "acct_9", "reason": "same card"}
    )
    assert response.status_code == 302
    body = page(client, case)
    assert "acct_9" in body and "same card" in body and ">protected<" in body
    account_id = case.account_links.get().account_id
    assert f'value="{account_id}" aria-label="Select acct_9"' in selection(body)
    # An investigator unlinks; protecting is a lead's.
    assert "Unlink selected" in selection(body) and "Protect selected" not in body
    case.refresh_from_db()
    response = client.post(
        f"/cases/{case.pk}/accounts/selected/",
        {
            "accounts": [account_id],
            "operation": "unlink",
            "reason": "different person",
            "version": case.version,
        },
    )
    assert response.status_code == 302
    assert not case.account_links.exists()
    assert "Account acct_9 unlinked" in page(client, case)


def test_it_unlinks_the_ticked_accounts_at_once_in_one_version(client, ivy, case):
    accounts = [make_account(f"acct_{n}") for n in range(4)]
    for account in accounts:
        link(case, account)
    case.refresh_from_db()
    version = case.version
    response = login(client, ivy).post(
        f"/cases/{case.pk}/accounts/selected/",
        {
            "accounts": [accounts[2].pk, accounts[0].pk, accounts[1].pk],
            "operation": "unlink",
            "reason": "a shared office",
            "version": version,
        },
    )
    assert response.status_code == 302
    assert list(case.account_links.values_list("account__external_id", flat=True)) == ["acct_3"]
    case.refresh_from_db()
    assert case.version == version + 1
    events = AuditEvent.objects.filter(verb="case.account_unlinked").order_by("sequence")
    assert [(e.target_id, e.reason) for e in events] == [
        (str(account.pk), "a shared office") for account in accounts[:3]
    ]
    assert "Accounts acct_0, acct_1 and acct_2 unlinked." in page(client, case)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"operation": "unlink", "reason": "r"}, "Select at least one account."),
        ({"accounts": ["x"], "operation": "unlink", "reason": "r"}, "are not account ids"),
        ({"accounts": ["1"], "reason": "r"}, "Choose what to do with the selected accounts."),
        ({"accounts": ["1"], "operation": "unlink"}, "Reason: This field is required."),
    ],
    ids=["nothing-ticked", "not-ids", "no-button", "no-reason"],
)
def test_a_selection_without_what_it_needs_is_refused_at_the_form(client, ivy, case, data, said):
    account = make_account("acct_1")
    link(case, account)
    case.refresh_from_db()
    data = {**data, "version": case.version}
    if data.get("accounts") == ["1"]:
        data["accounts"] = [account.pk]
    response = login(client, ivy).post(f"/cases/{case.pk}/accounts/selected/", data)
    assert response.status_code == 400
    form = selection(response.content.decode())
    assert said in form
    if "accounts" in data and data["accounts"] != ["x"]:
        # What was ticked stays ticked.
        assert f'value="{account.pk}" aria-label="Select acct_1" checked' in form
    assert case.account_links.exists()


def test_an_account_no_longer_linked_refuses_the_whole_selection(client, ivy, case):
    kept, gone = make_account("acct_kept"), make_account("acct_gone")
    link(case, kept)
    case.refresh_from_db()
    response = login(client, ivy).post(
        f"/cases/{case.pk}/accounts/selected/",
        {
            "accounts": [kept.pk, gone.pk],
            "operation": "unlink",
            "reason": "r",
            "version": case.version,
        },
    )
    assert response.status_code == 400
    assert f"Account acct_gone is not linked to case #{case.pk}." in selection(
        response.content.decode()
    )
    assert case.account_links.get().account == kept


def test_an_unlink_on_an_old_version_is_refused_with_who_changed_it(client, ivy, case):
    account = make_account("acct_1")
    link(case, account)
    case.refresh_from_db()
    seen = case.version
    workflow.link_account(case.pk, make_account("acct_2"), actor=ivy, reason="same card")
    response = login(client, ivy).post(
        f"/cases/{case.pk}/accounts/selected/",
        {"accounts": [account.pk], "operation": "unlink", "reason": "r", "version": seen},
    )
    assert response.status_code == 409
    assert "ivy" in selection(response.content.decode())
    assert case.account_links.filter(account=account).exists()


def test_notes_render_markdown_and_show_html_as_text(client, ivy, case):
    login(client, ivy)
    body_text = "**bold** <script>alert('x')</script> <img src=x onerror=alert(1)>"
    assert client.post(f"/cases/{case.pk}/notes/", {"body": body_text}).status_code == 302
    body = page(client, case)
    assert "<strong>bold</strong>" in body
    assert "<script>alert" not in body and "<img" not in body
    assert "&lt;script&gt;" in body


def test_detector_text_shows_as_text(client, ivy):
    evil = make_case(title="<b>x</b><script>1</script>", summary="<img src=x onerror=1>")
    account = make_account("<i>acct</i>")
    link(evil, account, reason="<script>reason</script>", detector="<b>det</b>")
    body = page(login(client, ivy), evil)
    for raw in ("<b>x</b>", "<script>1", "<img src=x", "<i>acct</i>", "<script>reason", "<b>det"):
        assert raw not in body


def test_evidence_upload_shows_its_sha256_and_is_read_only_as_text(client, ivy, case):
    login(client, ivy)
    content = b"<html><script>alert(1)</script></html>"
    upload = SimpleUploadedFile("page.html", content, content_type="text/html")
    response = client.post(f"/cases/{case.pk}/evidence/", {"file": upload, "title": "Saved page"})
    assert response.status_code == 302
    import hashlib

    digest = hashlib.sha256(content).hexdigest()
    assert digest in page(client, case)
    item = case.evidence.get()
    response = client.get(f"/cases/{case.pk}/evidence/{item.pk}/")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.content == content
    response = client.get(f"/cases/{case.pk}/evidence/{item.pk}/?download=1")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == content
    views = AuditEvent.objects.filter(verb="evidence.viewed", case_ids=[case.pk])
    assert views.count() == 2


def test_evidence_of_a_hidden_case_is_not_served(client, make_user, ivy):
    hidden = make_case(tlp="red")
    login(client, make_user("lead"))
    upload = SimpleUploadedFile("a.txt", b"secret")
    client.post(f"/cases/{hidden.pk}/evidence/", {"file": upload})
    item = hidden.evidence.get()
    login(client, ivy)
    assert client.get(f"/cases/{hidden.pk}/evidence/{item.pk}/").status_code == 404


def test_the_evidence_form_shows_the_limit_beside_the_file_field(client, ivy, case, settings):
    settings.EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
    form = page(login(client, ivy), case).split('id="evidence-form"')[1].split("</form>")[0]
    assert 'data-max-bytes="5242880"' in form
    assert 'aria-describedby="evidence_file_hint"' in form
    assert re.search(r'id="evidence_file_hint">At most 5.0.MB \(5,242,880 bytes\)\.<', form)


def test_an_upload_over_the_limit_is_refused_next_to_the_field(client, ivy, case, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    login(client, ivy)
    upload = SimpleUploadedFile("big.bin", b"x" * 100)
    response = client.post(f"/cases/{case.pk}/evidence/", {"file": upload})
    assert response.status_code == 400
    form = response.content.decode().split('id="evidence-form"')[1].split("</form>")[0]
    assert "at most 10 bytes" in form
    assert not case.evidence.exists()


def test_a_transition_moves_the_case_and_shows_on_the_timeline(client, ivy, case):
    login(client, ivy)
    response = client.post(
        f"/cases/{case.pk}/transition/",
        {"to_status": "investigating", "version": 1, "reason": "clear pattern"},
    )
    assert response.status_code == 302
    body = page(client, case)
    assert "Status new → investigating" in body
    assert "clear pattern" in body


def test_closing_as_confirmed_abuse_is_refused_to_an_investigator(client, ivy, case):
    response = login(client, ivy).post(
        f"/cases/{case.pk}/transition/",
        {"to_status": "closed", "resolution": "confirmed_abuse", "version": 1},
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "new"


def test_closing_without_a_resolution_is_a_field_error(client, ivy, case):
    response = login(client, ivy).post(
        f"/cases/{case.pk}/transition/", {"to_status": "closed", "version": 1}
    )
    assert response.status_code == 400
    assert "Closing a case needs a resolution." in response.content.decode()


def test_indicators_show_sharing_counts_weak_and_capped(client, ivy, make_user, case):
    a1, a2, a3 = make_account("a1"), make_account("a2"), make_account("a3")
    link(case, a1)
    other = make_case(title="Other")
    link(other, a2)
    secret = make_case(title="Secret", tlp="red")
    link(secret, a3)
    make_indicator("payment_fingerprint", "pf_1", a1, a2, a3)
    make_indicator("asn", "AS64500", a1, too_common=True)
    response = login(client, ivy).get(f"/cases/{case.pk}/")
    shown = {
        i.indicator.value: (i.shared_accounts, i.other_cases)
        for i in response.context["indicators"].items
    }
    # The restricted case is not counted for someone who cannot see it.
    assert shown == {"pf_1": (3, 1), "AS64500": (1, 0)}
    body = response.content.decode()
    assert ">weak<" in body and ">too common<" in body
    response = login(client, make_user("lead")).get(f"/cases/{case.pk}/")
    shown = {i.indicator.value: i.other_cases for i in response.context["indicators"].items}
    assert shown["pf_1"] == 2


def test_related_cases_are_listed_when_visible(client, ivy, case):
    other = make_case(title="Sibling")
    secret = make_case(title="Secret sibling", tlp="red")
    case.related_cases.add(other, secret)
    body = page(login(client, ivy), case)
    assert "Sibling" in body and "Secret sibling" not in body


def test_case_page_query_count_does_not_grow_with_rows(
    client, ivy, make_user, case, django_assert_num_queries
):
    login(client, ivy)
    link(case, make_account("acct_first"))  # a page of one account reads its account too
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        client.get(f"/cases/{case.pk}/")
    lead = make_user("lead")
    for n in range(15):
        account = make_account(f"acct_{n}")
        link(case, account)
        make_indicator("device_fingerprint", f"df_{n}", account)
        workflow.add_note(case.pk, f"note {n}", actor=lead)
        workflow.add_evidence_text(case.pk, title=f"t{n}", content="c", actor=lead)
    case.related_cases.add(*[make_case(title=f"r{n}") for n in range(5)])
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = client.get(f"/cases/{case.pk}/")
    assert len(response.context["accounts"].items) == 16


# session, user, roles, case, the header's counts, review flags; a page of
# accounts and their accounts' rows, indicators, alerts, evidence, notes,
# related cases, audit events, actions (none here: with some, their progress
# and the latest one's targets are two more, see test_case_page_queries); the
# timeline's events, evidence and notes; suggested tags; the navigation's
# unread notifications
CASE_PAGE_QUERIES = 20


def test_the_header_marks_an_overdue_case(client, ivy):
    from datetime import timedelta

    from django.utils import timezone

    late = make_case(sla_due_at=timezone.now() - timedelta(hours=2))
    body = page(login(client, ivy), late)
    assert re.search(
        r'<time class="sla overdue" datetime="[^"]+" title="[^"]+ UTC">2 h overdue</time>', body
    )


def test_a_lead_assigns_someone_else_with_suggestions(client, make_user, case):
    make_user("investigator", username="otto")
    make_user("manager", username="mona")
    lead = make_user("lead", username="lee")
    body = page(login(client, lead), case)
    assert '<option value="otto">' in body and '<option value="mona">' not in body
    response = client.post(f"/cases/{case.pk}/assign/", {"assignee": "otto", "version": 1})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee.username == "otto"
    response = client.post(f"/cases/{case.pk}/assign/", {"assignee": "mona", "version": 2})
    assert response.status_code == 400
    assert "Cases are assigned to investigators or leads." in response.content.decode()


def test_a_detector_sample_is_read_as_text_and_audited(client, ivy, case):
    from cases.models import Evidence

    sample = Evidence.objects.create(
        case=case,
        kind="sample",
        title="Sample req_1",
        data={"prompt_excerpt": "<script>steal()</script> think step by step"},
        created_by_detector="cot",
    )
    response = login(client, ivy).get(f"/cases/{case.pk}/evidence/{sample.pk}/")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "<script>steal()</script>" in response.content.decode()
    assert AuditEvent.objects.filter(verb="evidence.viewed", target_id=str(sample.pk)).count() == 1
