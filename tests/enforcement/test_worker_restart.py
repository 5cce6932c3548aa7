"""Real Celery workers: one killed mid-execution and restarted executes no target twice;
beat reverts an expired action on time."""

import pytest

from enforcement.models import Action, ActionState, TargetState
from enforcement.workflow import approve_action, propose_action
from tests.enforcement.conftest import make_case_with_accounts, worker_env
from tests.ingestion.worker.conftest import wait_for

pytestmark = pytest.mark.integration


def test_a_worker_killed_mid_execution_and_restarted_executes_no_target_twice(
    start_worker, platform, people
):
    platform.delay = 0.03  # each call takes a while, so the kill lands mid-flight
    worker = start_worker(beat=True, name="enforcer", **worker_env(platform))
    case, _ = make_case_with_accounts(300)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    approve_action(action.pk, actor=people.lead)  # committed: enqueued for the worker

    wait_for(lambda: len(platform.executions) >= 60, timeout=60, interval=0.01, what="calls")
    worker.kill()
    in_flight = action.targets.filter(state=TargetState.EXECUTING).count()
    done_before = action.targets.filter(state=TargetState.EXECUTED).count()
    assert 0 < done_before < 300
    assert Action.objects.get(pk=action.pk).state == ActionState.EXECUTING

    worker.start()
    wait_for(
        lambda: Action.objects.get(pk=action.pk).state == ActionState.EXECUTED,
        timeout=120,
        what="the restarted worker to finish the action",
    )
    assert action.targets.filter(state=TargetState.EXECUTED).count() == 300
    assert len(platform.executions) == 300
    assert set(platform.executions.values()) == {1}
    # Calls in flight at the kill were sent again with the same key and body.
    keys = [r.key for r in platform.requests]
    repeated = {k for k in keys if keys.count(k) > 1}
    for key in repeated:
        assert len({r.body for r in platform.requests if r.key == key}) == 1
    assert len(repeated) <= in_flight
    print(f"\nkilled with {done_before} executed and {in_flight} in flight; {len(repeated)} resent")


def test_beat_reverts_an_expired_action_on_time(start_worker, platform, people):
    from datetime import timedelta

    from django.utils import timezone

    start_worker(beat=True, name="expirer", **worker_env(platform))
    case, _ = make_case_with_accounts(3)
    expires_at = timezone.now() + timedelta(seconds=4)
    action = propose_action(
        case.pk, actor=people.investigator, kind="suspend_accounts", expires_at=expires_at
    )
    approve_action(action.pk, actor=people.lead)
    wait_for(
        lambda: Action.objects.get(pk=action.pk).state == ActionState.EXECUTED,
        timeout=60,
        what="the action to be executed",
    )
    assert set(platform.state.values()) == {"applied"}
    wait_for(
        lambda: Action.objects.get(pk=action.pk).state == ActionState.REVERTED,
        timeout=60,
        what="the expired action to be reverted",
    )
    reverted = Action.objects.get(pk=action.pk).reverted_at
    assert expires_at <= reverted <= expires_at + timedelta(seconds=10)
    assert set(platform.state.values()) == {"reverted"}
    assert all(r.json["expires_at"] for r in platform.requests)


def test_an_approval_with_the_broker_down_succeeds_and_the_sweeper_enqueues_it_later(
    client, transactional_db, redis_broker, people
):
    from django.urls import reverse

    from enforcement import tasks

    case, _ = make_case_with_accounts(2)
    action = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    redis_broker.stop()
    client.force_login(people.lead)
    response = client.post(reverse("enforcement:approve", args=[action.pk]))
    assert response.status_code == 302
    assert Action.objects.get(pk=action.pk).state == ActionState.APPROVED

    redis_broker.start()
    assert tasks.sweep()["enqueued"] == [action.pk]
    assert redis_broker.queue_length() == 1
