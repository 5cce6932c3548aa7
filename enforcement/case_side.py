"""What an action's progress means for its case (design notes, "Case workflow").

* proposing an action moves an investigating or escalated case to ``pending_action``;
* when no action of the case is live any more, the case moves on: to
  ``actioned`` if one was carried out, back to ``investigating`` otherwise
  (every action rejected, withdrawn or failed).

Called inside the action step's transaction, before its audit event.
"""

from __future__ import annotations

from django.utils import timezone

from audit.events import record
from cases.models import CARRIED_OUT_STATES, LIVE_ACTION_STATES, Action, Case, CaseStatus


def _move(
    case: Case, to_status: str, *, actor=None, system: str | None = None, reason: str
) -> None:
    before = {"status": case.status}
    case.status = to_status
    fields = ["status", "updated_at", "last_activity_at"]
    now = timezone.now()
    case.last_activity_at = now
    if to_status == CaseStatus.ACTIONED:
        case.actioned_at = now
        fields.append("actioned_at")
    case.save(update_fields=fields)
    record(
        "case.status_changed",
        actor=actor,
        system=system,
        target=case,
        before=before,
        after={"status": to_status},
        reason=reason,
    )


def action_proposed(case: Case, *, actor) -> None:
    """``case`` is locked by the caller."""
    if case.status != CaseStatus.PENDING_ACTION:
        _move(case, CaseStatus.PENDING_ACTION, actor=actor, reason="An action was proposed.")


def action_settled(action: Action, *, actor=None, system: str | None = None) -> None:
    """The action left the live states: move its case on if nothing else is live."""
    case = Case.objects.select_for_update().get(pk=action.case_id)
    if case.status != CaseStatus.PENDING_ACTION:
        return
    actions = Action.objects.filter(case_id=case.pk)
    if actions.filter(state__in=LIVE_ACTION_STATES).exclude(pk=action.pk).exists():
        return
    carried_out = (
        action.state in CARRIED_OUT_STATES
        or actions.filter(state__in=CARRIED_OUT_STATES).exclude(pk=action.pk).exists()
    )
    if carried_out:
        _move(
            case,
            CaseStatus.ACTIONED,
            actor=actor,
            system=system,
            reason="Its actions were executed.",
        )
    else:
        _move(
            case,
            CaseStatus.INVESTIGATING,
            actor=actor,
            system=system,
            reason=f"Its action was {action.get_state_display().lower()}.",
        )
