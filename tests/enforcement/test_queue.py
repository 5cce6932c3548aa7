"""Enforcement's work reaches the broker through ``enforcement.queue``, by task name."""

import pytest

from enforcement import queue
from enforcement.tasks import process_action
from enforcement.workflow import approve_action, propose_action, reject_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


class Broker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list]] = []

    def send_task(self, name: str, args: list) -> None:
        self.sent.append((name, args))


@pytest.fixture
def broker(monkeypatch) -> Broker:
    fake = Broker()
    monkeypatch.setattr(queue, "current_app", fake)
    return fake


def test_the_name_published_is_the_task_s_name():
    assert process_action.name == queue.PROCESS_ACTION


def test_an_approval_enqueues_its_action_once_the_step_commits(
    people, broker, django_capture_on_commit_callbacks
):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    with django_capture_on_commit_callbacks(execute=True):
        approve_action(action.pk, actor=people.lead)
        assert broker.sent == []
    assert broker.sent == [(queue.PROCESS_ACTION, [action.pk])]


def test_a_rejection_enqueues_nothing(people, broker, django_capture_on_commit_callbacks):
    case, _ = make_case_with_accounts(1)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    with django_capture_on_commit_callbacks(execute=True):
        reject_action(action.pk, actor=people.lead, comment="wrong cluster")
    assert broker.sent == []
