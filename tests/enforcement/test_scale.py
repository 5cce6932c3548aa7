"""One action over 10,000 accounts: set-based proposal and chunked execution."""

import logging
import time

import pytest

from enforcement.execution import run_action
from enforcement.models import ActionState, TargetState
from enforcement.workflow import approve_action, progress, propose_action
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


def test_ten_thousand_accounts_are_proposed_and_executed_each_once(
    people, webhook, settings, caplog
):
    settings.ENFORCEMENT_CONCURRENCY = 16
    case, _ = make_case_with_accounts(10_000, protected={17, 4242})
    started = time.perf_counter()
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    proposed = time.perf_counter() - started
    approve_action(action.pk, actor=people.lead)

    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="dossier.enforcement"):
        assert run_action(action.pk) == ActionState.EXECUTED
    executed = time.perf_counter() - started

    counts = progress(action)
    assert counts[TargetState.EXECUTED] == 9_998
    assert counts[TargetState.EXCLUDED] == 2
    assert len(webhook.executions) == 9_998 and set(webhook.executions.values()) == {1}
    print(
        f"\n10,000 targets: proposed in {proposed:.2f}s, executed over HTTP in {executed:.1f}s "
        f"({9_998 / executed:.0f} calls/s)"
    )


def test_ten_thousand_accounts_through_the_log_backend(people, settings, caplog):
    settings.ENFORCEMENT_BACKEND = "log"
    case, _ = make_case_with_accounts(10_000)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    approve_action(action.pk, actor=people.lead)
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="dossier.enforcement"):
        assert run_action(action.pk) == ActionState.EXECUTED
    executed = time.perf_counter() - started
    assert progress(action)[TargetState.EXECUTED] == 10_000
    print(f"\n10,000 targets through the log backend in {executed:.1f}s")
