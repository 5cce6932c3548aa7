"""Read-side queries for the case pages and API (no state changes here)."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Case
from cases.visibility import visible_cases


def queue_queryset(user) -> QuerySet[Case]:
    """Cases ``user`` may see, with what a queue row shows, in a fixed number of queries."""
    return visible_cases(user).select_related("assignee")
