"""Set-based SQL over an action's targets, for the runner in ``enforcement.execution``.

Every statement touches many targets at once; ``clock_timestamp()`` rather
than ``now()`` so that times move on inside a long transaction too.

The updates name their rows as an array of ids (``id = ANY(ARRAY(…))``), so
each reaches them through the primary key whatever the statistics say: joined
to a subquery instead, a table whose statistics said it was empty (vacuumed
while empty, then filled by a 25,000-target action) was planned as a nested
loop that ran the claim again for every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from cases.models import EnforcementState
from enforcement.models import TargetState

IN_FLIGHT_TO_QUEUED = (
    "UPDATE cases_actiontarget SET state = CASE state WHEN 'executing' THEN 'pending'"
    " ELSE 'revert_pending' END"
)
CLAIM = """
    UPDATE cases_actiontarget t
       SET state = CASE t.state WHEN 'pending' THEN 'executing' ELSE 'reverting' END,
           last_attempt_at = clock_timestamp()
     WHERE t.id = ANY(ARRAY(
            SELECT id FROM cases_actiontarget
             WHERE action_id = %s AND state IN ('pending', 'revert_pending')
               AND (next_attempt_at IS NULL OR next_attempt_at <= clock_timestamp())
             ORDER BY id LIMIT %s
             FOR UPDATE SKIP LOCKED))
 RETURNING t.id, t.state, t.target_type, t.value, t.apply_body, t.revert_body, t.attempts
"""
STORE_APPLY_BODIES = (
    "UPDATE cases_actiontarget t SET apply_body = v.body"
    " FROM unnest(%s::bigint[], %s::bytea[]) AS v(id, body) WHERE t.id = v.id"
)
STORE_REVERT_BODIES = (
    "UPDATE cases_actiontarget t SET revert_body = v.body"
    " FROM unnest(%s::bigint[], %s::bytea[]) AS v(id, body) WHERE t.id = v.id"
)
WRITE_RESULTS = """
    UPDATE cases_actiontarget t
       SET state = v.state,
           reference = CASE WHEN v.reference <> '' THEN v.reference ELSE t.reference END,
           error = v.error, attempts = v.attempts, next_attempt_at = v.next_at,
           executed_at = CASE WHEN v.state = 'executed' THEN clock_timestamp()
                              ELSE t.executed_at END,
           reverted_at = CASE WHEN v.state = 'reverted' THEN clock_timestamp()
                              ELSE t.reverted_at END
      FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::int[],
                  %s::timestamptz[]) AS v(id, state, reference, error, attempts, next_at)
     WHERE t.id = v.id AND t.id = ANY(%s::bigint[])
"""
SET_ACCOUNT_STATE = (
    "UPDATE cases_account SET enforcement_state = %s WHERE id = ANY(ARRAY("
    "SELECT account_id FROM cases_actiontarget WHERE id = ANY(%s) AND account_id IS NOT NULL))"
)


@dataclass
class Result:
    """What one call settled for one target, written with many others at once."""

    id: int
    state: str
    reference: str = ""
    error: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None


def requeue_in_flight(action_id: int) -> int:
    """Targets a dead runner left in flight go back to their queue, body kept."""
    with connection.cursor() as cursor:
        cursor.execute(
            IN_FLIGHT_TO_QUEUED + " WHERE action_id = %s AND state IN ('executing', 'reverting')",
            [action_id],
        )
        return cursor.rowcount


def requeue(target_ids: list[int]) -> None:
    """Put claimed but unsent targets back (the action was paused)."""
    with connection.cursor() as cursor:
        cursor.execute(
            IN_FLIGHT_TO_QUEUED + " WHERE id = ANY(%s) AND state IN ('executing', 'reverting')",
            [target_ids],
        )


def unsettled(action_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM cases_actiontarget WHERE action_id = %s AND state IN"
            " ('pending', 'executing', 'revert_pending', 'reverting'))",
            [action_id],
        )
        return bool(cursor.fetchone()[0])


def next_due(action_id: int) -> datetime | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(coalesce(next_attempt_at, clock_timestamp())) FROM cases_actiontarget"
            " WHERE action_id = %s AND state IN ('pending', 'revert_pending')",
            [action_id],
        )
        return cursor.fetchone()[0]


def claim(cursor, action_id: int, limit: int) -> list[tuple]:
    """Mark up to ``limit`` due targets in flight and return them (call in a transaction)."""
    cursor.execute(CLAIM, [action_id, limit])
    return cursor.fetchall()


def store_bodies(cursor, bodies: list[tuple[int, bool, bytes]]) -> None:
    """``(target id, is apply, body)``: stored once, sent as they are on every attempt."""
    for apply, statement in ((True, STORE_APPLY_BODIES), (False, STORE_REVERT_BODIES)):
        chosen = [(pk, body) for pk, is_apply, body in bodies if is_apply == apply]
        if chosen:
            cursor.execute(statement, [[pk for pk, _ in chosen], [body for _, body in chosen]])


def fail_pending(action_id: int, reason: str) -> None:
    """Queued apply targets fail with ``reason`` and their last error (the deadline)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_actiontarget SET state = 'failed',"
            " error = %s || CASE WHEN error <> '' THEN ': ' || error ELSE '' END"
            " WHERE action_id = %s AND state = 'pending'",
            [reason, action_id],
        )


def write_results(cursor, results: list[Result], account_state_after: str | None) -> None:
    ids = [r.id for r in results]
    cursor.execute(
        WRITE_RESULTS,
        [
            ids,
            [r.state for r in results],
            [r.reference for r in results],
            [r.error for r in results],
            [r.attempts for r in results],
            [r.next_attempt_at for r in results],
            ids,
        ],
    )
    if account_state_after is None:
        return
    # What the platform now enforces on the accounts, for the account pages.
    for state, account_state in (
        (TargetState.EXECUTED, account_state_after),
        (TargetState.REVERTED, EnforcementState.NONE),
    ):
        ids = [r.id for r in results if r.state == state]
        if ids:
            cursor.execute(SET_ACCOUNT_STATE, [account_state, ids])
