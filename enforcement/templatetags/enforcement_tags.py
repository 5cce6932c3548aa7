"""``{% case_actions_panel case %}``: the actions panel of the case page; ``|thousands``."""

from __future__ import annotations

from django import template
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Value, When

from enforcement.models import Action, TargetState
from enforcement.reading import progress_report
from enforcement.workflow import (
    AWAITING_DECISION,
    REVERTIBLE_TARGET_STATES,
    may_propose,
    may_revert,
    progress_by_action,
)

register = template.Library()


@register.inclusion_tag("cases/_actions.html", takes_context=True)
def case_actions_panel(context, case):
    user = context["request"].user
    actions = list(
        Action.objects.filter(case=case)
        .select_related("proposed_by")
        .order_by("-proposed_at", "-pk")
    )
    counts = progress_by_action([a.pk for a in actions]) if actions else {}
    latest = actions[0] if actions else None
    return {
        "request": context["request"],
        "case": case,
        "rows": [(action, progress_report(action, counts[action.pk])) for action in actions],
        "latest": latest,
        "latest_targets": latest_targets(latest) if latest else [],
        "latest_deciding": latest is not None and latest.state in AWAITING_DECISION,
        "can_revert": latest is not None and may_revert(latest, user),
        "revertible_states": REVERTIBLE_TARGET_STATES,
        "can_propose": may_propose(case, user),
    }


SHOWN_TARGETS = 25


def latest_targets(action: Action) -> list:
    """The latest action's targets for the case page, failures first (one query)."""
    failures_first = SqlCase(
        When(state__in=(TargetState.FAILED, TargetState.REVERT_FAILED), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return list(action.targets.order_by(failures_first, "pk")[:SHOWN_TARGETS])


@register.filter
def thousands(number: int) -> str:
    """``25000`` as ``25,000``: the progress labels' way of writing counts."""
    return f"{number:,}"
