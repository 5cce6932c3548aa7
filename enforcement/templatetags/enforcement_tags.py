"""``{% case_actions_panel case %}``: the actions panel of the case page; ``|thousands``."""

from __future__ import annotations

from django import template
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Value, When

from cases.pagination import InvalidCursor, Sort, page_of
from enforcement.models import Action, TargetState
from enforcement.reading import progress_report
from enforcement.workflow import (
    AWAITING_DECISION,
    REVERTIBLE_TARGET_STATES,
    may_propose,
    may_revert,
    progress_by_action,
    proposal_refusal,
)

register = template.Library()


# Newest first; a case holds few actions, found by action_case_state.
ACTION_SORT = Sort("actions", "Newest first", "id", descending=True, is_datetime=False)
ACTIONS_PAGE_SIZE = 10


@register.inclusion_tag("cases/_actions.html", takes_context=True)
def case_actions_panel(context, case):
    """The case's actions a page at a time; the latest action's targets on the first page.

    ``panel_links`` (the case page's, cases.views.panels) says which page and
    where "Next" leads.
    """
    user = context["request"].user
    links = context.get("panel_links", {}).get("actions")
    cursor = links.cursor if links is not None else None
    rows = Action.objects.filter(case=case).select_related("proposed_by")
    try:
        page = page_of(rows, ACTION_SORT, cursor=cursor, size=ACTIONS_PAGE_SIZE)
    except InvalidCursor:
        cursor = None
        page = page_of(rows, ACTION_SORT, cursor=None, size=ACTIONS_PAGE_SIZE)
    actions = page.items
    counts = progress_by_action([a.pk for a in actions]) if actions else {}
    latest = actions[0] if actions and cursor is None else None
    return {
        "request": context["request"],
        # Where a step's confirmation returns: this panel of the case page.
        "back": f"{context['request'].path}#actions",
        "case": case,
        "rows": [(action, progress_report(action, counts[action.pk])) for action in actions],
        "panel": {
            "next_url": links.next_url(page.next_cursor) if links else None,
            "first_url": links.first_url() if links else None,
        },
        "latest": latest,
        "latest_targets": latest_targets(latest) if latest else [],
        "latest_deciding": latest is not None and latest.state in AWAITING_DECISION,
        "can_revert": latest is not None and may_revert(latest, user),
        "revertible_states": REVERTIBLE_TARGET_STATES,
        "can_propose": may_propose(case, user),
        # Someone who proposes actions, told why not on this case now (its status).
        "propose_refused": proposal_refusal(user, case) if proposal_refusal(user) is None else None,
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
