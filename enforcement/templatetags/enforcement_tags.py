"""``{% case_actions_panel case %}``: the actions panel of the case page."""

from __future__ import annotations

from django import template

from cases.models import Action
from enforcement.reading import progress_by_action, progress_report
from enforcement.workflow import PROPOSABLE_CASE_STATUSES, PROPOSER_ROLES
from people.roles import has_role

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
    return {
        "case": case,
        "rows": [(action, progress_report(action, counts[action.pk])) for action in actions],
        "can_propose": has_role(user, *PROPOSER_ROLES) and case.status in PROPOSABLE_CASE_STATUSES,
    }
