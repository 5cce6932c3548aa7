"""After approval: revert (all or some targets), resume a paused action, expiry;
and the per-state counts that show progress."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from audit.events import record
from core import text_limits as limits
from enforcement.models import (
    Action,
    ActionState,
    ActionTarget,
    TargetState,
)
from enforcement.queue import enqueue_execution
from enforcement.workflow.common import (
    REVERTIBLE_ACTION_STATES,
    REVERTIBLE_TARGET_STATES,
    ActionRefused,
    WrongState,
    audited_refusal,
    limit_text,
    lock_action,
    require_reason,
    snapshot,
)
from enforcement.workflow.may import (
    refuse_if,
    retry_refusal,
    revert_refusal,
)

# Targets a partial revert names on the trail (the count is always complete).
NAMED_TARGETS = 20


@audited_refusal("revert")
def revert_action(
    action_id: int, *, actor=None, system: str | None = None, target_ids=None, reason: str = ""
) -> Action:
    """Undo a carried-out action: every executed target, or only ``target_ids``."""
    with transaction.atomic():
        action = lock_action(action_id, actor=actor)
        refuse_if(revert_refusal(action, actor, system=system))
        require_reason(reason, "A revert needs a reason: say why the action is undone.", "reason")
        limit_text(reason, limits.DECISION, "The reason", "reason")
        targets = ActionTarget.objects.filter(action=action, state__in=REVERTIBLE_TARGET_STATES)
        named: list[str] = []
        if target_ids is not None:
            ids = {int(t) for t in target_ids}
            targets = targets.filter(pk__in=ids)
            if targets.count() != len(ids):
                raise WrongState("Only executed targets of this action can be reverted.")
            # The trail names what a partial revert undid; a long list is cut, counted in full.
            named = list(targets.order_by("pk").values_list("value", flat=True)[:NAMED_TARGETS])
        before = snapshot(action)
        count = targets.update(
            state=TargetState.REVERT_PENDING, attempts=0, error="", next_attempt_at=None
        )
        if not count:
            raise WrongState("There is nothing left to revert.")
        action.state = ActionState.REVERTING
        action.save(update_fields=["state"])
        enqueue_execution(action.pk)
        after = {**snapshot(action), "targets": count, "all": target_ids is None}
        if named:
            after["target_values"] = named
        record(
            "action.revert_requested",
            actor=actor,
            system=system,
            target=action,
            target_label=f"{action}: {', '.join(named)}" if named else None,
            cases=[action.case_id],
            before=before,
            after=after,
            reason=reason.strip(),
        )
    return action


@audited_refusal("retry")
def retry_action(action_id: int, *, actor, reason: str = "") -> Action:
    """Resume an action paused on a configuration fault."""
    with transaction.atomic():
        action = lock_action(action_id, actor=actor)
        refuse_if(retry_refusal(action, actor))
        limit_text(reason, limits.DECISION, "The reason", "reason")
        before = snapshot(action)
        reverting = action.targets.filter(
            state__in=(TargetState.REVERT_PENDING, TargetState.REVERTING)
        ).exists()
        action.state = ActionState.REVERTING if reverting else ActionState.EXECUTING
        action.paused_reason = ""
        action.save(update_fields=["state", "paused_reason"])
        enqueue_execution(action.pk)
        record(
            "action.resumed",
            actor=actor,
            target=action,
            cases=[action.case_id],
            before=before,
            after=snapshot(action),
            reason=reason.strip(),
        )
    return action


def expire_due_actions(now: datetime | None = None) -> list[int]:
    """Revert every carried-out action whose expiry has passed (run by the sweeper)."""
    now = now or timezone.now()
    due = list(
        Action.objects.filter(state__in=REVERTIBLE_ACTION_STATES, expires_at__lte=now)
        # Only still-applied targets: a revert the platform refused is not retried forever.
        .filter(targets__state=TargetState.EXECUTED)
        .values_list("pk", flat=True)
        .distinct()
    )
    expired = []
    for action_id in due:
        try:
            revert_action(action_id, system="expiry", reason="The action expired.")
        except ActionRefused:
            continue  # changed state meanwhile; the next sweep looks again
        expired.append(action_id)
    return expired


# --- reading ---------------------------------------------------------------


def progress(action: Action | int) -> dict[str, int]:
    """Per-state target counts of one action, with their total."""
    action_id = action.pk if isinstance(action, Action) else action
    return progress_by_action([action_id])[action_id]


def progress_by_action(action_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per-state target counts of several actions, one GROUP BY on the (action, state)
    index: COUNT(*), which the index alone answers (an index-only scan)."""
    result = {pk: dict.fromkeys(TargetState.values, 0) for pk in action_ids}
    rows = (
        ActionTarget.objects.filter(action_id__in=action_ids)
        .values("action_id", "state")
        .annotate(n=Count("*"))
        .order_by()
    )
    for row in rows:
        result[row["action_id"]][row["state"]] = row["n"]
    for counts in result.values():
        counts["total"] = sum(counts[s] for s in TargetState.values)
    return result
