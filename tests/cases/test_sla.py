"""The SLA clock: due by severity, paused and resumed, breached once (docs/case-workflow.md)."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from cases import workflow
from cases.intake import Arrival, join_cases, record_intake
from cases.models import SEVERITY_RANK, Case, overdue_q
from cases.pagination import SORTS
from cases.signals import case_changed
from cases.tasks import mark_sla_breaches
from cases.templatetags.case_tags import sla
from cases.workflow import sla as clock
from enforcement.workflow import approve_action, propose_action, reject_action, withdraw_action
from tests.cases.factories import make_case
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def hours(severity: str) -> timedelta:
    return timedelta(hours=settings.CASE_SLA_HOURS[severity])


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def published():
    """The (case id, verb, event id) ``case_changed`` announced."""
    sent: list[tuple[int, str]] = []

    def receiver(sender, case_id, verb, event_id, **kwargs):
        sent.append((case_id, verb, event_id))

    case_changed.connect(receiver)
    yield sent
    case_changed.disconnect(receiver)


def test_raising_severity_moves_the_due_time_earlier_and_lowering_never_later(person):
    lead = person("lead")
    case = make_case(severity="low")
    Case.objects.filter(pk=case.pk).update(sla_due_at=case.created_at + hours("low"))

    workflow.set_severity(case.pk, "critical", actor=lead)
    raised = fresh(case)
    assert raised.sla_due_at == raised.created_at + hours("critical")
    event = AuditEvent.objects.for_case(case.pk).get(verb="case.severity_changed")
    assert event.before["sla_due_at"] != event.after["sla_due_at"]

    workflow.set_severity(case.pk, "low", actor=lead)
    assert fresh(case).sla_due_at == raised.sla_due_at


def test_an_import_raising_severity_moves_the_due_time_earlier_only():
    case = make_case(severity="low")
    Case.objects.filter(pk=case.pk).update(sla_due_at=case.created_at + hours("low"))
    now = timezone.now()
    connection.ensure_connection()

    def arrive(severity: str) -> None:
        row = Arrival(case.pk, 1, 0, 0, SEVERITY_RANK[severity], False)
        with transaction.atomic(), psycopg.Cursor(connection.connection) as cur:
            record_intake(join_cases(cur, [row], now), system="import")

    arrive("high")
    assert fresh(case).sla_due_at == case.created_at + hours("high")
    # A later, less severe alert leaves both the severity and the due time.
    arrive("medium")
    assert (fresh(case).severity, fresh(case).sla_due_at) == (
        "high",
        case.created_at + hours("high"),
    )


def _propose(person):
    investigator, lead = person("investigator"), person("lead")
    case, _ = make_case_with_accounts(2)
    due = timezone.now() + 10 * HOUR
    Case.objects.filter(pk=case.pk).update(sla_due_at=due)
    action = propose_action(case.pk, actor=investigator, kind="suspend_accounts", notice="Abuse.")
    return case, action, due, investigator, lead


def _paused_an_hour_ago(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(sla_paused_at=timezone.now() - HOUR)


@pytest.mark.parametrize("decision", ["approve", "reject", "withdraw"])
def test_a_proposal_pauses_the_sla_and_its_decision_resumes_it_moved_on(person, decision):
    case, action, due, investigator, lead = _propose(person)
    paused = fresh(case)
    assert paused.sla_paused_at is not None
    assert paused.sla_pause_reasons == ["awaiting_approval"]
    assert paused.sla_due_at == due
    assert "paused, " in sla(paused) and "left" in sla(paused)

    _paused_an_hour_ago(case)
    if decision == "approve":
        approve_action(action.pk, actor=lead)
    elif decision == "reject":
        reject_action(action.pk, actor=lead, comment="Not enough evidence.")
    else:
        withdraw_action(action.pk, actor=investigator, reason="Proposed too early.")

    resumed = fresh(case)
    assert resumed.sla_paused_at is None and resumed.sla_pause_reasons == []
    assert due + HOUR <= resumed.sla_due_at < due + HOUR + timedelta(minutes=1)
    assert HOUR <= resumed.sla_paused_for < HOUR + timedelta(minutes=1)
    assert "paused" not in sla(resumed)


def test_the_sla_stays_paused_while_another_action_awaits_approval(person):
    case, first, due, investigator, lead = _propose(person)
    second = propose_action(case.pk, actor=investigator, kind="suspend_accounts", notice="Abuse.")
    reject_action(first.pk, actor=lead, comment="Duplicate.")
    assert fresh(case).sla_paused_at is not None
    _paused_an_hour_ago(case)
    withdraw_action(second.pk, actor=investigator, reason="Handled elsewhere.")
    assert fresh(case).sla_paused_at is None
    assert fresh(case).sla_due_at >= due + HOUR


def test_an_escalation_pauses_the_sla_until_it_is_handed_back(person):
    investigator, legal = person("investigator"), person("legal")
    case = make_case(status="investigating", sla_due_at=timezone.now() + 5 * HOUR)
    due = case.sla_due_at
    workflow.escalate(case.pk, "legal", actor=investigator, reason="Needs counsel.")
    assert fresh(case).sla_pause_reasons == ["awaiting_hand_back"]
    _paused_an_hour_ago(case)
    workflow.hand_back(case.pk, actor=legal, reason="Cleared.")
    resumed = fresh(case)
    assert resumed.sla_paused_at is None
    assert due + HOUR <= resumed.sla_due_at < due + HOUR + timedelta(minutes=1)


def test_the_overdue_filter_and_the_due_sort_agree_on_paused_cases(person):
    now = timezone.now()
    running = make_case(status="investigating", sla_due_at=now - 2 * HOUR)
    # Paused three hours ago with an hour left: not overdue while paused ...
    paused = make_case(
        status="pending_action",
        sla_due_at=now - 2 * HOUR,
        sla_paused_at=now - 3 * HOUR,
        sla_pause_reasons=["awaiting_approval"],
    )
    later = make_case(status="investigating", sla_due_at=now + 30 * timedelta(minutes=1))
    overdue = set(Case.objects.filter(overdue_q()).values_list("pk", flat=True))
    assert overdue == {c.pk for c in (running, paused, later) if fresh(c).is_overdue}
    assert overdue == {running.pk}

    # ... and once resumed its stored due time is an hour from now: still not
    # overdue, and the due sort puts it after the case due in 30 minutes.
    with transaction.atomic():
        case = workflow.lock_case(paused.pk)
        case.save(update_fields=clock.follow_approvals(case, awaiting=False))
    assert fresh(paused).sla_due_at > now + 50 * timedelta(minutes=1)
    assert set(Case.objects.filter(overdue_q()).values_list("pk", flat=True)) == {running.pk}
    due_sort = SORTS["due"].expression
    order = list(
        Case.objects.filter(pk__in=[running.pk, paused.pk, later.pk])
        .order_by(due_sort, "id")
        .values_list("pk", flat=True)
    )
    assert order == [running.pk, later.pk, paused.pk]


def test_the_beat_task_marks_a_breach_once_audits_and_publishes_once(
    person, published, django_capture_on_commit_callbacks
):
    now = timezone.now()
    late = make_case(status="investigating", sla_due_at=now - HOUR)
    paused = make_case(
        status="pending_action",
        sla_due_at=now - HOUR,
        sla_paused_at=now - 2 * HOUR,
        sla_pause_reasons=["awaiting_approval"],
    )
    closed = make_case(status="closed", resolution="benign", sla_due_at=now - HOUR)
    on_time = make_case(status="investigating", sla_due_at=now + HOUR)

    for _tick in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            mark_sla_breaches()

    assert fresh(late).sla_breached_at is not None
    for case in (paused, closed, on_time):
        assert fresh(case).sla_breached_at is None
    events = AuditEvent.objects.filter(verb="case.sla_breached")
    assert [(e.case_ids, e.system, e.actor_id) for e in events] == [([late.pk], "sla", None)]
    assert published == [(late.pk, "case.sla_breached", events[0].pk)]
    assert "breached" in sla(fresh(late))


def test_the_breach_task_runs_the_same_queries_for_any_number_of_cases():
    past = timezone.now() - HOUR
    counts = []
    for size in (2, 40):
        Case.objects.bulk_create(
            [Case(title=f"Late {i}", status="investigating", sla_due_at=past) for i in range(size)]
        )
        with CaptureQueriesContext(connection) as queries:
            assert mark_sla_breaches() == size
        counts.append(len(queries))
    print(f"breach task queries at 2 and 40 cases: {counts}")
    assert counts[0] == counts[1]


def test_a_proposal_on_an_escalated_case_takes_over_its_pause(person):
    investigator, lead = person("investigator"), person("lead")
    case, _ = make_case_with_accounts(1)
    workflow.escalate(case.pk, "legal", actor=investigator, reason="Needs counsel.")
    action = propose_action(case.pk, actor=investigator, kind="suspend_accounts", notice="Abuse.")
    assert fresh(case).sla_pause_reasons == ["awaiting_approval"]
    reject_action(action.pk, actor=lead, comment="Not yet.")
    assert (fresh(case).status, fresh(case).sla_paused_at) == ("investigating", None)


def test_the_case_page_and_the_queue_show_paused_and_breached_beside_time_left(client, make_user):
    now = timezone.now()
    paused = make_case(
        title="Waiting on approval",
        status="pending_action",
        sla_due_at=now + 3 * HOUR + timedelta(minutes=10),
        sla_paused_at=now,
        sla_pause_reasons=["awaiting_approval"],
    )
    breached = make_case(
        title="Past due",
        status="investigating",
        sla_due_at=now - 2 * HOUR,
        sla_breached_at=now - HOUR,
    )
    client.force_login(make_user("investigator"))
    page = client.get(f"/cases/{paused.pk}/").content.decode()
    header = page.split('id="case-sla"')[1].split("</dd>")[0]
    assert ">paused, 3 h left</time>" in header and "breached" not in header
    page = client.get(f"/cases/{breached.pk}/").content.decode()
    header = page.split('id="case-sla"')[1].split("</dd>")[0]
    assert ">2 h overdue</time>" in header and ">breached</strong>" in header
    queue = client.get("/cases/").content.decode()
    assert ">paused, 3 h left</time>" in queue and ">breached</strong>" in queue


def test_a_reopened_case_gets_a_fresh_clock_that_can_breach_again(person):
    lead = person("lead")
    now = timezone.now()
    case = make_case(status="investigating", severity="high", sla_due_at=now - HOUR)
    mark_sla_breaches()
    workflow.close(case.pk, "benign", actor=lead)
    workflow.reopen(case.pk, actor=lead, reason="The network is back.")

    reopened = fresh(case)
    assert reopened.sla_breached_at is None
    assert reopened.sla_paused_at is None
    assert now + hours("high") <= reopened.sla_due_at < timezone.now() + hours("high")
    # A severity raise after the reopening counts from the reopening.
    workflow.set_severity(case.pk, "critical", actor=lead)
    assert fresh(case).sla_due_at == reopened.sla_started_at + hours("critical")

    Case.objects.filter(pk=case.pk).update(sla_due_at=timezone.now() - HOUR)
    assert mark_sla_breaches() == 1
    assert AuditEvent.objects.filter(verb="case.sla_breached").count() == 2
