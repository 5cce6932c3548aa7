"""Read-side queries for the case pages and API (no state changes here).

Each function costs a fixed number of queries whatever the number of rows,
and every case it returns went through ``visible_cases``.
"""

from cases.queries.lookups import account_to_link, assignee_named, case_for, queue_queryset
from cases.queries.panels import (
    ACCOUNT_SORT,
    ALERT_SORT,
    COUNT_CAP,
    EVIDENCE_SORT,
    INDICATOR_SORT,
    NOTE_SORT,
    RELATED_SORT,
    capped_counts,
    case_accounts,
    case_alerts,
    case_evidence,
    case_notes,
    related_cases,
)
from cases.queries.sharing import SHARE_COUNT_CAP, SubqueryCount, case_indicators, review_flags
from cases.queries.trail import (
    AUDIT_SORT,
    SHOW_CHOICES,
    TimelineEntry,
    TimelinePage,
    audit_trail,
    case_trail,
    event_title,
    timeline_page,
)

__all__ = [
    "ACCOUNT_SORT",
    "ALERT_SORT",
    "AUDIT_SORT",
    "COUNT_CAP",
    "EVIDENCE_SORT",
    "INDICATOR_SORT",
    "NOTE_SORT",
    "RELATED_SORT",
    "SHARE_COUNT_CAP",
    "SHOW_CHOICES",
    "SubqueryCount",
    "TimelineEntry",
    "TimelinePage",
    "account_to_link",
    "assignee_named",
    "audit_trail",
    "capped_counts",
    "case_accounts",
    "case_alerts",
    "case_evidence",
    "case_for",
    "case_indicators",
    "case_notes",
    "case_trail",
    "event_title",
    "queue_queryset",
    "related_cases",
    "review_flags",
    "timeline_page",
]
