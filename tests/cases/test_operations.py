"""Every workflow operation besides status changes: who may do it, and its audit event.

(Action steps go through enforcement.workflow: see test_actions.)

Each allowed call writes exactly one audit event naming the actor, the reason
and the case; each refused call raises and leaves the case, its records and
the trail as they were.
"""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from cases import workflow
from cases.models import (
    Account,
    CaseAccount,
    Evidence,
    EvidenceKind,
    Note,
)
from enforcement.models import Action, ActionTarget
from tests.cases.conftest import PEOPLE
from tests.cases.helpers import case_row, events, stored_files

WORKERS = {"investigator", "lead"}


@pytest.fixture
def scene(person, make_case, evidence_root):
    """An investigated case with one linked account, one piece of evidence and one proposal."""
    case = make_case("pending_action")
    proposer = person("investigator")
    colleague = person("investigator")
    linked = Account.objects.create(external_id="acct_linked")
    CaseAccount.objects.create(case=case, account=linked, reason="shares pf", linked_by=proposer)
    evidence = Evidence.objects.create(
        case=case, kind=EvidenceKind.TEXT, title="Prompt", content="secret", sha256="ab" * 32
    )
    action = Action.objects.create(case=case, kind="suspend_accounts", proposed_by=proposer)
    ActionTarget.objects.create(action=action, target_type="account", value="acct_linked")
    return {
        "case": case,
        "proposer": proposer,
        "colleague": colleague,
        "linked": linked,
        "unlinked": Account.objects.create(external_id="acct_new"),
        "evidence": evidence,
        "action": action,
    }


def _upload():
    return SimpleUploadedFile("traffic.csv", b"ts,requests\n1,2\n", content_type="text/csv")


# name -> (who may, call). Each call passes reason="because".
OPERATIONS = {
    "assign_self": (WORKERS, lambda s, a: workflow.assign(s["case"], a, actor=a, reason="because")),
    "assign_other": (
        {"lead"},
        lambda s, a: workflow.assign(s["case"], s["colleague"], actor=a, reason="because"),
    ),
    "set_severity": (
        WORKERS,
        lambda s, a: workflow.set_severity(s["case"], "critical", actor=a, reason="because"),
    ),
    "set_attribution": (
        WORKERS,
        lambda s, a: workflow.set_attribution(
            s["case"],
            suspected_actor="Lab X",
            confidence="medium",
            rationale="same payment instrument",
            actor=a,
            reason="because",
        ),
    ),
    "add_evidence_text": (
        WORKERS,
        lambda s, a: workflow.add_evidence_text(
            s["case"], title="Sample", content="prompt text", actor=a, reason="because"
        ),
    ),
    "add_evidence_file": (
        WORKERS,
        lambda s, a: workflow.add_evidence_file(s["case"], _upload(), actor=a, reason="because"),
    ),
    "redact_evidence": (
        {"lead", "legal"},
        lambda s, a: workflow.redact_evidence(s["evidence"], actor=a, reason="because"),
    ),
    "link_account": (
        WORKERS,
        lambda s, a: workflow.link_account(s["case"], s["unlinked"], actor=a, reason="because"),
    ),
    "unlink_account": (
        WORKERS,
        lambda s, a: workflow.unlink_account(s["case"], s["linked"], actor=a, reason="because"),
    ),
    "transition": (
        {"lead"},
        lambda s, a: workflow.transition(s["case"], "investigating", actor=a, reason="because"),
    ),
}


def world(scene) -> dict:
    """What a refused operation must leave exactly as it was."""
    case = scene["case"]
    return {
        "case": case_row(case),
        "notes": list(Note.objects.filter(case=case).values()),
        "evidence": list(Evidence.objects.filter(case=case).order_by("pk").values()),
        "links": list(CaseAccount.objects.filter(case=case).order_by("pk").values()),
        "actions": list(Action.objects.filter(case=case).order_by("pk").values()),
        "targets": list(ActionTarget.objects.order_by("pk").values()),
        "events": events(),
    }


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_writes_one_event_with_actor_reason_and_case(operation, scene, person):
    _who, call = OPERATIONS[operation]
    actor = person("lead")
    version = scene["case"].version
    before = AuditEvent.objects.count()

    call(scene, actor)

    (event,) = AuditEvent.objects.order_by("sequence")[before:]
    assert event.actor == actor
    assert event.reason == "because"
    assert event.case_ids == [scene["case"].pk]
    scene["case"].refresh_from_db()
    assert scene["case"].version == version + 1
    assert scene["case"].updated_by == actor


@pytest.mark.parametrize(
    ("operation", "who"),
    [pytest.param(op, who, id=f"{op}-{who}") for op in OPERATIONS for who in PEOPLE],
)
def test_who_may_do_each_operation(operation, who, scene, person):
    allowed, call = OPERATIONS[operation]
    actor = person(who)
    before = world(scene)

    if who in allowed:
        call(scene, actor)
        assert len(events()) == len(before["events"]) + 1
    else:
        with pytest.raises(workflow.OperationRefused):
            call(scene, actor)
        after = world(scene)
        # The refused function leaves its refusal on the trail, and nothing else.
        (refusal,) = after.pop("events")[len(before.pop("events")) :]
        assert (refusal.verb, refusal.actor) == ("case.operation_refused", actor)
        assert refusal.case_ids == [scene["case"].pk]
        assert after == before
        assert stored_files() == []


def test_add_note_is_open_to_workers_and_escalation_levels_not_managers(person, make_case):
    case = make_case("escalated", level="legal")
    for who in PEOPLE:
        actor = person(who)
        count = Note.objects.count()
        if who in {"investigator", "lead", "policy", "legal", "executive"}:
            note = workflow.add_note(case, "Looks **templated**.", actor=actor)
            event = AuditEvent.objects.order_by("sequence").last()
            assert (event.verb, event.actor, event.case_ids) == ("note.added", actor, [case.pk])
            assert event.target_id == str(note.pk)
        else:
            with pytest.raises(workflow.OperationRefused):
                workflow.add_note(case, "Looks templated.", actor=actor)
            assert Note.objects.count() == count


def test_an_investigator_cannot_unassign_or_reassign(person, make_case):
    investigator = person("investigator")
    case = make_case("triage", assignee=investigator)
    with pytest.raises(workflow.OperationRefused, match="only to themselves"):
        workflow.assign(case, None, actor=investigator)
    case.refresh_from_db()
    assert case.assignee == investigator


def test_cases_are_assigned_only_to_case_workers(person, make_case):
    with pytest.raises(ValidationError):
        workflow.assign(make_case(), person("manager"), actor=person("lead"))


@pytest.mark.parametrize(
    "call",
    [
        lambda s, a: workflow.link_account(s["case"], s["unlinked"], actor=a, reason="  "),
        lambda s, a: workflow.unlink_account(s["case"], s["linked"], actor=a, reason=""),
        lambda s, a: workflow.redact_evidence(s["evidence"], actor=a, reason=""),
        lambda s, a: workflow.link_account(s["case"], s["linked"], actor=a, reason="again"),
    ],
    ids=["link-without-reason", "unlink-without-reason", "redact-without-reason", "link-twice"],
)
def test_invalid_requests_change_nothing(call, scene, person):
    before = world(scene)
    with pytest.raises(ValidationError):
        call(scene, person("lead"))
    assert world(scene) == before


def test_linking_and_unlinking_keep_the_account_count_and_who_linked(scene, person):
    lead = person("lead")
    case = scene["case"]
    link = workflow.link_account(case, scene["unlinked"], actor=lead, reason="same device")
    assert (link.linked_by, link.reason) == (lead, "same device")
    case.refresh_from_db()
    assert case.account_count == 1
    workflow.unlink_account(case, scene["unlinked"], actor=lead, reason="shared office NAT")
    case.refresh_from_db()
    assert case.account_count == 0
    event = AuditEvent.objects.order_by("sequence").last()
    assert event.before["link_reason"] == "same device"
    assert event.reason == "shared office NAT"


def test_severity_keeps_its_sort_rank(person, make_case):
    case = workflow.set_severity(make_case(), "critical", actor=person("investigator"))
    case.refresh_from_db()
    assert (case.severity, case.severity_rank) == ("critical", 4)


def test_changes_are_published_only_after_commit(
    person, make_case, django_capture_on_commit_callbacks
):
    from cases.signals import case_changed

    seen = []

    def receiver(sender, case_id, verb, **kwargs):
        seen.append((case_id, verb))

    case_changed.connect(receiver)
    try:
        case = make_case()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            workflow.transition(case, "triage", actor=person("lead"))
        assert seen == []
        for callback in callbacks:
            callback()
        assert seen == [(case.pk, "case.status_changed")]

        with (
            django_capture_on_commit_callbacks() as callbacks,
            pytest.raises(workflow.TransitionRefused),
        ):
            workflow.transition(case, "actioned", actor=person("lead"))
        assert callbacks == []
    finally:
        case_changed.disconnect(receiver)


def test_link_evidence_must_be_a_web_address(person, make_case):
    case = make_case()
    with pytest.raises(ValidationError, match="http"):
        workflow.add_evidence_text(
            case, title="x", content="javascript:alert(1)", kind="link", actor=person("lead")
        )
    link = workflow.add_evidence_text(
        case,
        title="Forum post",
        content="https://example.net/t/1",
        kind="link",
        actor=person("lead"),
    )
    assert link.kind == "link"


def test_text_postgresql_cannot_hold_is_stored_with_a_replacement_character(person, make_case):
    note = workflow.add_note(make_case(), "before\x00after", actor=person("lead"))
    note.refresh_from_db()
    assert note.body == "before\ufffdafter"


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_is_logged_and_the_committed_change_stays(person, make_case, caplog):
    from cases.signals import case_changed

    def receiver(sender, **kwargs):
        raise RuntimeError("receiver is down")

    case_changed.connect(receiver)
    try:
        case = make_case()
        workflow.transition(case, "triage", actor=person("lead"))
    finally:
        case_changed.disconnect(receiver)

    case.refresh_from_db()
    assert case.status == "triage"
    assert "receiver is down" in caplog.text
