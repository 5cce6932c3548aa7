"""Carrying out an approved action, target by target, through the backend.

Correctness does not depend on the broker:

* One runner per action at a time: a session advisory lock keyed on the
  action. A duplicate task message finds it taken and leaves; a killed
  worker's connection closes and PostgreSQL releases the lock with it.
* Targets are claimed in chunks with ``UPDATE ... WHERE state = 'pending'
  ... FOR UPDATE SKIP LOCKED ... RETURNING``; a claimed target is
  ``executing`` (or ``reverting``) *before* its call is sent.
* A runner that starts and finds targets still ``executing`` knows the
  previous runner died with those calls in flight: it sends them again with
  the same idempotency key and the same stored body, so the platform treats
  them as the same request. Dossier never sends a second, different request.
* Threads only make HTTP calls; the runner's own thread does every database
  write, in set-based statements, so 10,000 targets cost a few hundred queries.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.events import record
from cases.models import EnforcementState
from cases.workflow import publish_on_commit
from enforcement import target_store
from enforcement.backends import (
    APPLY,
    REVERT,
    Backend,
    Call,
    Done,
    Paused,
    Refused,
    Retry,
    backoff_seconds,
    build_body,
    get_backend,
)
from enforcement.models import Action, ActionKind, ActionState, TargetState
from enforcement.signals import publish_action_on_commit
from enforcement.target_store import Result
from enforcement.workflow import lock_action_and_case, progress, settle_case

logger = logging.getLogger("dossier.enforcement")

# Advisory-lock namespace for "an action is being run" ("ac").
LOCK_NAMESPACE = 0x6163
RUNNABLE_STATES = (ActionState.APPROVED, ActionState.EXECUTING, ActionState.REVERTING)
# How long a runner waits in place for targets due soon, before leaving them to the sweeper.
MAX_IDLE_WAIT = 30.0
FLUSH_EVERY = 200
# Targets claimed per statement. A claimed target not yet sent when a worker
# dies is only sent later, under its one key and body: claiming ahead is safe.
CLAIM_CHUNK = 200
FLUSH_SECONDS = 0.5

# What the platform enforces on an account once a kind is applied to it.
ACCOUNT_STATE_AFTER = {
    ActionKind.SUSPEND_ACCOUNTS: EnforcementState.SUSPENDED,
    ActionKind.TERMINATE_ACCOUNTS: EnforcementState.TERMINATED,
    ActionKind.REQUIRE_VERIFICATION: EnforcementState.VERIFICATION_REQUIRED,
    ActionKind.RATE_LIMIT: EnforcementState.RATE_LIMITED,
}


@dataclass
class Claimed:
    id: int
    operation: str
    target_type: str
    value: str
    body: bytes
    attempts: int


class _ActionLock:
    def __init__(self, action_id: int) -> None:
        self.action_id = action_id
        self.held = False

    def __enter__(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.action_id])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc) -> None:
        if self.held:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, self.action_id]
                )


def is_running(action_id: int) -> bool:
    """Whether some runner holds the action's lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s AND objid = %s)",
            [LOCK_NAMESPACE, action_id],
        )
        return bool(cursor.fetchone()[0])


def run_action(action_id: int, *, backend: Backend | None = None) -> str:
    """Carry out whatever the action has pending (apply or revert) and settle it.

    Returns what happened: ``busy`` (another runner has it), ``idle`` (nothing
    to do), ``later`` (targets wait for their next attempt), ``paused`` or
    the action's end state.
    """
    with _ActionLock(action_id) as held:
        if not held:
            return "busy"
        return _Runner(action_id, backend or get_backend()).run()


class _Runner:
    def __init__(self, action_id: int, backend: Backend) -> None:
        self.action_id = action_id
        self.backend = backend
        self.concurrency = int(settings.ENFORCEMENT_CONCURRENCY)
        self.max_attempts = int(settings.ENFORCEMENT_MAX_ATTEMPTS)
        self.results: list[Result] = []
        self.last_flush = time.monotonic()

    def run(self) -> str:
        action = Action.objects.select_related("case").get(pk=self.action_id)
        if action.state not in RUNNABLE_STATES:
            return "idle"
        self.action = action
        self.case_url = case_url(action.case_id)
        self._start(action)
        self._resend_in_flight()
        paused = self._loop()
        self._flush()
        if paused:
            return "paused"
        if self._unsettled():
            return "later"
        return self._finish()

    # --- state of the action ----------------------------------------------

    def _start(self, action: Action) -> None:
        if action.state != ActionState.APPROVED:
            return
        with transaction.atomic():
            updated = Action.objects.filter(pk=action.pk, state=ActionState.APPROVED).update(
                state=ActionState.EXECUTING, started_at=timezone.now()
            )
            if updated:
                record(
                    "action.execution_started",
                    system="enforcement",
                    target=action,
                    cases=[action.case_id],
                    after={"state": ActionState.EXECUTING, "backend": self.backend.name},
                )
        action.state = ActionState.EXECUTING

    def _current_state(self) -> str:
        return Action.objects.filter(pk=self.action_id).values_list("state", flat=True).get()

    def _resend_in_flight(self) -> None:
        resent = target_store.requeue_in_flight(self.action_id)
        if resent:
            logger.warning(
                "action %s: resending %s call(s) left in flight by a stopped worker",
                self.action_id,
                resent,
            )

    def _unsettled(self) -> bool:
        return target_store.unsettled(self.action_id)

    def _next_due(self) -> datetime | None:
        return target_store.next_due(self.action_id)

    # --- the loop ------------------------------------------------------------

    def _loop(self) -> bool:
        """Send every due target; True when the action was paused."""
        paused = False
        inflight: dict[Future, Claimed] = {}
        queue: list[Claimed] = []
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            checked = 0.0
            while True:
                if not paused and time.monotonic() - checked >= FLUSH_SECONDS:
                    checked = time.monotonic()
                    # Paused meanwhile (by hand, or a dead runner's outcome)?
                    paused = self._current_state() == ActionState.PAUSED
                    if not paused:
                        self._fail_past_deadline()
                if not paused:
                    if len(queue) < self.concurrency:
                        queue.extend(
                            self._claim(max(CLAIM_CHUNK, self.concurrency * 4) - len(queue))
                        )
                    while queue and len(inflight) < self.concurrency:
                        claimed = queue.pop(0)
                        inflight[pool.submit(self._send, claimed)] = claimed
                if paused and queue:
                    self._unclaim(queue)
                    queue = []
                if not inflight:
                    self._flush()
                    if paused:
                        return True
                    wait_for = self._idle_wait()
                    if wait_for is None:
                        return False
                    time.sleep(wait_for)
                    continue
                done, _ = wait(inflight, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
                for future in done:
                    claimed = inflight.pop(future)
                    if self._settle(claimed, future.result()):
                        paused = True
                self._maybe_flush()

    def _idle_wait(self) -> float | None:
        """Seconds to wait for the next due target, or None to stop (none, or not soon)."""
        due = self._next_due()
        if due is None:
            return None
        seconds = (due - timezone.now()).total_seconds()
        if seconds > MAX_IDLE_WAIT:
            return None  # the sweeper enqueues the action again when it is due
        return max(0.05, min(seconds, 1.0))

    def _claim(self, limit: int) -> list[Claimed]:
        if limit <= 0:
            return []
        with transaction.atomic(), connection.cursor() as cursor:
            claimed = []
            new_bodies: list[tuple[int, bool, bytes]] = []
            for (
                pk,
                state,
                target_type,
                value,
                apply_body,
                revert_body,
                attempts,
            ) in target_store.claim(cursor, self.action_id, limit):
                operation = APPLY if state == TargetState.EXECUTING else REVERT
                body = apply_body if operation == APPLY else revert_body
                if body is None:
                    body = self._body(operation, target_type, value)
                    new_bodies.append((pk, operation == APPLY, body))
                claimed.append(Claimed(pk, operation, target_type, value, bytes(body), attempts))
            # Stored in the claiming transaction: a body is on record before it is sent.
            target_store.store_bodies(cursor, new_bodies)
        return claimed

    def _body(self, operation: str, target_type: str, value: str) -> bytes:
        action = self.action
        return build_body(
            action_id=action.pk,
            kind=action.kind,
            operation=operation,
            target_type=target_type,
            target_value=value,
            params=action.params,
            case_id=action.case_id,
            case_url=self.case_url,
            notice=action.notice or None,
            expires_at=action.expires_at,
            requested_at=timezone.now(),
        )

    def _unclaim(self, claimed: list[Claimed]) -> None:
        target_store.requeue([c.id for c in claimed])

    def _send(self, claimed: Claimed):
        call = Call(
            self.action_id, claimed.operation, claimed.target_type, claimed.value, claimed.body
        )
        try:
            return self.backend.send(call)
        except Exception as exc:  # a backend bug must not leave the target in flight
            logger.exception("action %s: backend raised", self.action_id)
            return Retry(f"backend error: {exc}")

    # --- outcomes ------------------------------------------------------------

    def _settle(self, claimed: Claimed, outcome) -> bool:
        """Turn an outcome into a result row; True when the action must pause."""
        apply = claimed.operation == APPLY
        if isinstance(outcome, Done):
            state = TargetState.EXECUTED if apply else TargetState.REVERTED
            self.results.append(
                Result(claimed.id, state, outcome.reference, "", claimed.attempts + 1)
            )
            return False
        failed = TargetState.FAILED if apply else TargetState.REVERT_FAILED
        waiting = TargetState.PENDING if apply else TargetState.REVERT_PENDING
        if isinstance(outcome, Refused):
            self.results.append(Result(claimed.id, failed, "", outcome.error, claimed.attempts + 1))
            return False
        if isinstance(outcome, Paused):
            # Not the target's fault: back in the queue, the attempt not counted.
            self.results.append(Result(claimed.id, waiting, "", outcome.reason, claimed.attempts))
            self._pause(outcome.reason)
            return True
        assert isinstance(outcome, Retry)
        attempts = claimed.attempts + (1 if outcome.counts else 0)
        if outcome.counts and attempts >= self.max_attempts:
            self.results.append(
                Result(
                    claimed.id,
                    failed,
                    "",
                    f"gave up after {attempts} attempts: {outcome.reason}",
                    attempts,
                )
            )
            return False
        delay = (
            outcome.retry_after
            if outcome.retry_after is not None
            else backoff_seconds(max(attempts, 1))
        )
        self.results.append(
            Result(
                claimed.id,
                waiting,
                "",
                outcome.reason,
                attempts,
                timezone.now() + timedelta(seconds=delay),
            )
        )
        return False

    def _pause(self, reason: str) -> None:
        with transaction.atomic():
            updated = Action.objects.filter(
                pk=self.action_id, state__in=(ActionState.EXECUTING, ActionState.REVERTING)
            ).update(state=ActionState.PAUSED, paused_reason=reason)
            if updated:
                logger.error(
                    "action %s paused: the enforcement service does not trust Dossier's calls (%s);"
                    " fix the configuration, then retry the action",
                    self.action_id,
                    reason,
                )
                event = record(
                    "action.paused",
                    system="enforcement",
                    target=self.action,
                    cases=[self.action.case_id],
                    after={"state": ActionState.PAUSED},
                    reason=reason,
                )
                publish_action_on_commit(self.action, event)

    def _fail_past_deadline(self) -> None:
        action = self.action
        if action.approved_at is None:
            return
        deadline = (action.decided_at or action.approved_at) + timedelta(
            hours=float(settings.ENFORCEMENT_DEADLINE)
        )
        if timezone.now() >= deadline:
            target_store.fail_pending(self.action_id, "deadline passed")

    def _maybe_flush(self) -> None:
        if len(self.results) >= FLUSH_EVERY or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self._flush()

    def _flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.results:
            return
        results, self.results = self.results, []
        with transaction.atomic(), connection.cursor() as cursor:
            target_store.write_results(cursor, results, ACCOUNT_STATE_AFTER.get(self.action.kind))

    # --- the end -------------------------------------------------------------

    def _finish(self) -> str:
        with transaction.atomic():
            case, action = lock_action_and_case(self.action_id, actor=None)
            if action.state not in (ActionState.EXECUTING, ActionState.REVERTING):
                return action.state
            counts = progress(action.pk)
            before = {"state": action.state}
            was_reverting = action.state == ActionState.REVERTING
            action.state = end_state(counts, was_reverting)
            action.finished_at = timezone.now()
            if action.state == ActionState.REVERTED:
                action.reverted_at = action.finished_at
            action.save(update_fields=["state", "finished_at", "reverted_at"])
            case_before, case_after = settle_case(case)
            verb = "action.reverted" if was_reverting else "action.executed"
            event = record(
                verb,
                system="enforcement",
                target=action,
                cases=[action.case_id],
                before={**case_before, **before},
                after={
                    **case_after,
                    "state": action.state,
                    **{k: v for k, v in counts.items() if v},
                },
            )
            publish_on_commit(case, verb)
            publish_action_on_commit(action, event)
        return action.state


def end_state(counts: dict[str, int], was_reverting: bool) -> str:
    """An action's state once no target is in flight, from its per-state counts."""
    still_applied = counts[TargetState.EXECUTED] + counts[TargetState.REVERT_FAILED]
    carried_out = still_applied + counts[TargetState.REVERTED]
    if was_reverting and still_applied == 0 and counts[TargetState.REVERTED]:
        return ActionState.REVERTED
    if carried_out == 0:
        return ActionState.FAILED
    if counts[TargetState.FAILED]:
        return ActionState.PARTIALLY_FAILED
    return ActionState.EXECUTED


def case_url(case_id: int) -> str:
    """The case's address in Dossier, for the platform's records."""
    return settings.SITE_URL + reverse("cases:detail", args=[case_id])
