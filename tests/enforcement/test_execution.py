"""Carrying out actions through the webhook against a real HTTP server on 127.0.0.1."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import CaseStatus, EnforcementState
from enforcement.backends import idempotency_key
from enforcement.execution import run_action
from enforcement.models import Action, ActionState, TargetState
from enforcement.workflow import (
    approve_action,
    expire_due_actions,
    progress,
    propose_action,
    retry_action,
    revert_action,
)
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db


def approved_action(people, n=3, **kwargs):
    case, accounts = make_case_with_accounts(n)
    action = propose_action(
        case.pk, actor=people.investigator, kind="suspend_accounts", notice="Suspended.", **kwargs
    )
    approve_action(action.pk, actor=people.lead)
    return action, accounts


def states(action):
    return dict(action.targets.values_list("value", "state"))


def test_an_approved_action_suspends_each_account_once(webhook, people):
    action, accounts = approved_action(people, 5)
    assert run_action(action.pk) == ActionState.EXECUTED
    action.refresh_from_db()
    assert action.state == ActionState.EXECUTED
    assert set(states(action).values()) == {TargetState.EXECUTED}
    assert all(r.verified for r in webhook.requests)
    assert sorted(webhook.executions.values()) == [1] * 5
    assert {
        a.enforcement_state
        for a in type(accounts[0]).objects.filter(pk__in=[a.pk for a in accounts])
    } == {EnforcementState.SUSPENDED}
    target = action.targets.first()
    assert target.reference.startswith("ref-")
    action.case.refresh_from_db()
    assert action.case.status == CaseStatus.ACTIONED
    assert AuditEvent.objects.filter(verb="action.executed", system="enforcement").count() == 1


def test_retries_reuse_the_key_and_the_exact_body(webhook, people, settings):
    settings.ENFORCEMENT_MAX_ATTEMPTS = 5
    action, accounts = approved_action(people, 2)
    victim = accounts[0].external_id
    webhook.plan("500", "garbage", "reset", "409", value=victim)
    assert run_action(action.pk) == ActionState.EXECUTED
    received = webhook.requests_for(victim)
    assert len(received) == 5
    assert {r.key for r in received} == {idempotency_key(action.pk, "apply", "account", victim)}
    assert len({r.body for r in received}) == 1
    target = action.targets.get(value=victim)
    assert bytes(target.apply_body) == received[0].body
    assert target.attempts == 5
    assert webhook.executions[received[0].key] == 1


def test_a_slow_answer_is_retried_and_carried_out_once(webhook, people, settings):
    settings.ENFORCEMENT_TIMEOUT = 0.3
    webhook.slow_seconds = 0.8
    action, _accounts = approved_action(people, 1)
    webhook.plan("slow")
    assert run_action(action.pk) == ActionState.EXECUTED
    key = webhook.requests[0].key
    assert len(webhook.requests) >= 2
    assert webhook.executions[key] == 1


def test_a_refusal_fails_the_target_without_retrying(webhook, people):
    action, accounts = approved_action(people, 3)
    refused = accounts[1].external_id
    webhook.plan("refuse", value=refused)
    assert run_action(action.pk) == ActionState.PARTIALLY_FAILED
    target = action.targets.get(value=refused)
    assert target.state == TargetState.FAILED
    assert target.error == "HTTP 422: bad parameters"
    assert len(webhook.requests_for(refused)) == 1


def test_it_gives_up_after_the_maximum_attempts_with_the_last_reason(webhook, people):
    webhook.default_mode = "500"
    action, _ = approved_action(people, 1)
    assert run_action(action.pk) == ActionState.FAILED
    target = action.targets.get()
    assert target.state == TargetState.FAILED
    assert target.error == "gave up after 4 attempts: HTTP 500: internal error"
    assert len(webhook.requests) == 4
    action.case.refresh_from_db()
    assert action.case.status == CaseStatus.INVESTIGATING


def test_401_pauses_the_action_and_retry_resumes_it(webhook, people):
    webhook.default_mode = "401"
    action, _ = approved_action(people, 3)
    assert run_action(action.pk) == "paused"
    action.refresh_from_db()
    assert action.state == ActionState.PAUSED
    assert "HTTP 401" in action.paused_reason
    assert TargetState.FAILED not in states(action).values()
    assert AuditEvent.objects.filter(verb="action.paused").exists()

    webhook.default_mode = "ok"
    retry_action(action.pk, actor=people.lead, reason="Secret rotated")
    assert run_action(action.pk) == ActionState.EXECUTED
    assert sorted(webhook.executions.values()) == [1, 1, 1]


def test_429_waits_as_asked_and_is_not_an_attempt(webhook, people, settings):
    settings.ENFORCEMENT_MAX_ATTEMPTS = 1
    webhook.retry_after = "1"
    action, _ = approved_action(people, 1)
    webhook.plan("429", "429")
    assert run_action(action.pk) == ActionState.EXECUTED
    first, second, third = webhook.requests
    assert second.at - first.at >= 1.0 and third.at - second.at >= 1.0
    assert action.targets.get().attempts == 1


def test_a_service_down_for_a_while_ends_with_each_target_executed_once(webhook, people, settings):
    settings.ENFORCEMENT_MAX_ATTEMPTS = 8
    settings.ENFORCEMENT_BACKOFF_BASE = 0.2
    settings.ENFORCEMENT_BACKOFF_MAX = 1.0
    action, _ = approved_action(people, 4)
    webhook.down_for(1.5)
    assert run_action(action.pk) == ActionState.EXECUTED
    assert sorted(webhook.executions.values()) == [1, 1, 1, 1]


def test_a_call_left_in_flight_is_resent_with_the_same_key_and_body(webhook, people):
    action, _accounts = approved_action(people, 2)
    # A first runner claimed every target, sent one call and died before recording it.
    from enforcement.backends import Call, WebhookBackend
    from enforcement.execution import _Runner

    runner = _Runner(action.pk, WebhookBackend())
    runner.action = Action.objects.get(pk=action.pk)
    runner.case_url = "http://127.0.0.1:8000/cases/1/"
    claimed = runner._claim(10)
    WebhookBackend().send(
        Call(action.pk, "apply", claimed[0].target_type, claimed[0].value, claimed[0].body)
    )
    assert set(states(action).values()) == {TargetState.EXECUTING}

    assert run_action(action.pk) == ActionState.EXECUTED
    first = webhook.requests_for(claimed[0].value)
    assert len(first) == 2 and first[0].body == first[1].body and first[0].key == first[1].key
    assert sorted(webhook.executions.values()) == [1, 1]


def test_reverting_one_target_undoes_only_it(webhook, people):
    action, accounts = approved_action(people, 3)
    run_action(action.pk)
    one = action.targets.get(value=accounts[0].external_id)
    revert_action(
        action.pk, actor=people.lead, target_ids=[one.pk], reason="Customer appeal upheld"
    )
    assert run_action(action.pk) == ActionState.EXECUTED
    assert states(action) == {
        accounts[0].external_id: TargetState.REVERTED,
        accounts[1].external_id: TargetState.EXECUTED,
        accounts[2].external_id: TargetState.EXECUTED,
    }
    assert webhook.state[("account", accounts[0].external_id)] == "reverted"
    assert webhook.state[("account", accounts[1].external_id)] == "applied"
    accounts[0].refresh_from_db()
    assert accounts[0].enforcement_state == EnforcementState.NONE
    revert = webhook.requests_for(accounts[0].external_id, "revert")
    assert revert[0].key == idempotency_key(action.pk, "revert", "account", accounts[0].external_id)


def test_reverting_everything_reverts_the_action(webhook, people):
    action, _ = approved_action(people, 2)
    run_action(action.pk)
    revert_action(action.pk, actor=people.lead, reason="Detector misfired")
    assert run_action(action.pk) == ActionState.REVERTED
    assert set(webhook.state.values()) == {"reverted"}


def test_an_expired_action_is_reverted_on_time(webhook, people):
    action, _ = approved_action(people, 2, expires_at=timezone.now() + timedelta(seconds=2))
    run_action(action.pk)
    assert expire_due_actions() == []
    time.sleep(2.1)
    assert expire_due_actions() == [action.pk]
    assert run_action(action.pk) == ActionState.REVERTED
    assert set(webhook.state.values()) == {"reverted"}
    expired = AuditEvent.objects.get(verb="action.revert_requested")
    assert expired.system == "expiry"


def test_targets_unsettled_at_the_deadline_fail_with_the_last_reason(webhook, people, settings):
    action, _ = approved_action(people, 1)
    Action.objects.filter(pk=action.pk).update(decided_at=timezone.now() - timedelta(hours=25))
    assert run_action(action.pk) == ActionState.FAILED
    assert action.targets.get().error == "deadline passed"


def test_a_second_runner_leaves_an_action_that_is_being_run(webhook, people):
    from enforcement.execution import _ActionLock

    action, _ = approved_action(people, 1)
    with _ActionLock(action.pk):
        # Another connection (the second runner) sees the lock held.
        import threading

        outcome = []
        thread = threading.Thread(target=lambda: outcome.append(_other_connection_run(action.pk)))
        thread.start()
        thread.join()
    assert outcome == ["busy"]


def _other_connection_run(action_id):
    from django.db import connection

    try:
        return run_action(action_id)
    finally:
        connection.close()


def test_progress_counts_targets_per_state(webhook, people):
    action, accounts = approved_action(people, 3)
    webhook.plan("refuse", value=accounts[2].external_id)
    run_action(action.pk)
    counts = progress(action)
    assert (counts["executed"], counts["failed"], counts["total"]) == (2, 1, 3)


def test_the_sweeper_enqueues_actions_with_due_work_and_expires_due_ones(
    people, settings, redis_broker
):
    from enforcement import tasks

    settings.ENFORCEMENT_BACKEND = "log"
    due, _ = approved_action(people, 1)
    expiring, _ = approved_action(people, 1, expires_at=timezone.now() + timedelta(seconds=1))
    run_action(expiring.pk)
    Action.objects.filter(pk=expiring.pk).update(expires_at=timezone.now())
    outcome = tasks.sweep()
    assert outcome["expired"] == [expiring.pk]
    assert set(outcome["enqueued"]) == {due.pk, expiring.pk}
    assert redis_broker.queue_length() == 2


def test_params_and_network_targets_are_sent_as_the_contract_says(webhook, people):
    case, _ = make_case_with_accounts(1)
    action = propose_action(
        case.pk,
        actor=people.investigator,
        kind="rate_limit",
        targets=[("cidr", "198.51.100.0/24"), ("asn", "AS64500")],
        params={"requests_per_minute": 30},
    )
    approve_action(action.pk, actor=people.lead)
    assert run_action(action.pk) == ActionState.EXECUTED
    bodies = sorted((r.json for r in webhook.requests), key=lambda b: b["target"]["type"])
    assert [b["target"] for b in bodies] == [
        {"type": "asn", "value": "AS64500"},
        {"type": "cidr", "value": "198.51.100.0/24"},
    ]
    assert {b["params"]["requests_per_minute"] for b in bodies} == {30}
    assert {b["kind"] for b in bodies} == {"rate_limit"}
    assert {b["case"]["id"] for b in bodies} == {str(case.pk)}
    assert all(b["case"]["url"].endswith(f"/cases/{case.pk}/") for b in bodies)
    assert all(b["notice"] is None for b in bodies)
