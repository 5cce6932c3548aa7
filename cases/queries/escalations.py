"""The escalations waiting on a person: "Escalated to me", its API and its count.

Policy, legal and executives answer the cases escalated to the levels they
hold; leads answer every one (docs/case-workflow.md). Each case carries the
reason and the person of its latest escalation, read in the same query.
"""

from __future__ import annotations

from django.db.models import CharField, DateTimeField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, JSONObject

from audit.models import AuditEvent
from cases.models import Case, CaseStatus
from cases.pagination import FAR_FUTURE, Sort
from cases.visibility import visible_cases
from people.roles import ESCALATION_LEVELS, LEADS, has_role, roles_of

# Longest waiting first: the oldest escalation is the one most overdue an answer.
ESCALATED_SORT = Sort(
    "escalated",
    "Escalated since (longest waiting first)",
    "sort_escalated",
    descending=False,
    is_datetime=True,
    expression=Coalesce("escalated_at", Value(FAR_FUTURE, output_field=DateTimeField())),
)


def escalations_waiting(user) -> QuerySet[Case]:
    """The escalated cases ``user`` may answer: at their levels, all for a lead."""
    queryset = visible_cases(user).filter(status=CaseStatus.ESCALATED)
    if has_role(user, *LEADS):
        return queryset
    held = roles_of(user)
    return queryset.filter(escalation_level__in=[str(r) for r in ESCALATION_LEVELS if r in held])


def escalated_to(user) -> QuerySet[Case]:
    """``escalations_waiting`` with each case's latest escalation as ``escalation``:
    ``{"reason": ..., "by": username}`` (one subquery per row, by the
    audit trail's target index)."""
    latest = (
        AuditEvent.objects.filter(
            target_type=Case._meta.label_lower,
            target_id=Cast(OuterRef("pk"), CharField()),
            verb="case.escalated",
        )
        .order_by("-sequence")
        .values(escalation=JSONObject(reason="reason", by="actor_username"))[:1]
    )
    return (
        escalations_waiting(user).select_related("assignee").annotate(escalation=Subquery(latest))
    )
