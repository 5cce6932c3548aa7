"""Every status change, asked for by every kind of person.

The expectations below are docs/case-workflow.md's table written out
by hand, independently of cases.workflow: every allowed transition must work,
and every other (from, to, person) must be refused with nothing changed.
"""

import pytest

from cases import workflow
from cases.models import CaseStatus
from tests.cases.conftest import PEOPLE
from tests.cases.helpers import STARTS, case_row, events

WORKERS = {"investigator", "lead"}
LEAD = {"lead"}
OPEN = ("new", "triage", "investigating", "escalated", "pending_action", "actioned")

# What is asked for: closing as confirmed abuse is its own request.
TARGETS = (*CaseStatus.values, "closed:confirmed_abuse")


def who_may(start: str, target: str) -> set[str]:
    status, _, level = start.partition("@")
    if target == "closed":
        return WORKERS if status in OPEN else set()
    if target == "closed:confirmed_abuse":
        return LEAD if status in OPEN else set()
    return {
        ("new", "triage"): WORKERS,
        ("new", "investigating"): WORKERS,
        ("triage", "investigating"): WORKERS,
        ("investigating", "escalated"): WORKERS,
        ("escalated", "investigating"): LEAD | {level},
        # Escalated further, to a level above its own: executive is the top.
        ("escalated", "escalated"): LEAD | {level} if level != "executive" else set(),
        ("pending_action", "investigating"): LEAD,
        ("actioned", "investigating"): LEAD,
        ("closed", "investigating"): LEAD,
    }.get((status, target), set())


MATRIX = [
    pytest.param(start, target, who, id=f"{start}->{target}-{who}")
    for start in STARTS
    for target in TARGETS
    for who in PEOPLE
]


# The level asked for when escalating: the one above the case's own.
NEXT_LEVEL = {"": "legal", "policy": "legal", "legal": "executive", "executive": "legal"}


def ask(case, target, actor):
    status, _, resolution = target.partition(":")
    kwargs = {}
    if status == "closed":
        kwargs["resolution"] = resolution or "benign"
    if status == "escalated":
        kwargs["level"] = NEXT_LEVEL[case.escalation_level]
    return workflow.transition(case, status, actor=actor, reason="seen in the queue", **kwargs)


def offered(labels) -> set[str]:
    """The refusal's list of what is allowed, in this module's terms."""
    targets = set()
    for label in labels:
        if label == "closed":
            targets |= {"closed", "closed:confirmed_abuse"}
        elif label.startswith("closed as "):
            resolutions = label.removeprefix("closed as ").split("|")
            assert "confirmed_abuse" not in resolutions
            targets.add("closed")
        else:
            targets.add(label)
    return targets


def test_the_matrix_covers_every_status_and_person():
    assert {s.partition("@")[0] for s in STARTS} == set(CaseStatus.values)
    assert len(MATRIX) == 9 * 8 * 9
    allowed = [p for p in MATRIX if p.values[2] in who_may(p.values[0], p.values[1])]
    assert len(allowed) == 45


@pytest.mark.parametrize(("start", "target", "who"), MATRIX)
def test_transition(start, target, who, person, make_case):
    status, _, level = start.partition("@")
    case = make_case(status, level=level)
    actor = person(who)
    before = case_row(case)
    before_events = events()
    asked_level = NEXT_LEVEL[case.escalation_level]

    if who in who_may(start, target):
        changed = ask(case, target, actor)

        requested, _, resolution = target.partition(":")
        case.refresh_from_db()
        assert changed.status == case.status == requested
        assert case.version == before["version"] + 1
        assert case.updated_by == actor
        if requested == "closed":
            assert case.resolution == (resolution or "benign")
            assert case.closed_at is not None
        else:
            assert case.resolution == ""
        if requested == "escalated":
            assert case.escalation_level == asked_level
            assert case.escalated_at is not None
        else:
            assert case.escalation_level == ""
        if status == "new":
            assert case.triaged_at is not None
        if status == "closed":
            assert case.closed_at is None

        (event,) = events()[len(before_events) :]
        assert event.actor == actor
        assert event.reason == "seen in the queue"
        assert event.case_ids == [case.pk]
        assert event.before["status"] == status
        assert event.after["status"] == requested
    else:
        with pytest.raises(workflow.TransitionRefused) as refused:
            ask(case, target, actor)

        message = str(refused.value)
        requested = target.partition(":")[0]
        assert refused.value.current == status
        assert refused.value.requested == requested
        assert f"from {status} to {requested}" in message
        for allowed in refused.value.allowed:
            assert allowed in message
        assert offered(refused.value.allowed) == {t for t in TARGETS if who in who_may(start, t)}
        if not refused.value.allowed:
            assert "nothing" in message
        assert case_row(case) == before
        (refusal,) = events()[len(before_events) :]
        assert (refusal.verb, refusal.actor, refusal.case_ids) == (
            "case.operation_refused",
            actor,
            [case.pk],
        )
        assert refusal.after == {"operation": "transition"}


def test_allowed_transitions_are_data_that_name_their_resolutions(person, make_case):
    case = make_case("investigating")
    lead = {t.to_status: t for t in workflow.allowed_transitions(case, person("lead"))}
    investigator = {
        t.to_status: t for t in workflow.allowed_transitions(case, person("investigator"))
    }
    assert lead["closed"].every_resolution and lead["closed"].label == "closed"
    assert "confirmed_abuse" not in investigator["closed"].resolutions
    assert investigator["closed"].label == (
        "closed as false_positive|benign|duplicate|insufficient_evidence"
    )
    assert investigator["escalated"] == workflow.AllowedTransition(
        "escalated", levels=("policy", "legal", "executive")
    )
