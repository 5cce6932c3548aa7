"""Which values a case's accounts share with other accounts and other cases.

How many accounts carry a value is the indicator's own counter (the import
keeps it). How many other cases share it is a range of the index
``indicator_case`` on ``CaseIndicator``, read only up to ``SHARE_COUNT_CAP``
entries: never a walk through the accounts of the cases that hold it.
"""

from __future__ import annotations

from django.db.models import Exists, F, IntegerField, OuterRef, QuerySet, Subquery

from cases.models import Case, CaseIndicator, ReviewFlag, Tlp
from cases.visibility import restricted_q

# Counting further than this says nothing more than "very common".
SHARE_COUNT_CAP = 1000


class SubqueryCount(Subquery):
    """``count(*)`` of a (possibly sliced) subquery, so a count can be capped."""

    template = "(SELECT count(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def case_indicators(user, case: Case) -> QuerySet[CaseIndicator]:
    """The case's indicators (one row each, ``.indicator`` loaded), with how many
    accounts and other cases share each (see ``shared_counts``)."""
    return (
        CaseIndicator.objects.filter(case=case)
        .select_related("indicator")
        .annotate(**shared_counts(user, case, "indicator_id"))
    )


def shared_counts(user, case: Case, ref: str) -> dict:
    """``shared_accounts``: accounts carrying the indicator at ``ref``;
    ``other_cases``: the other cases ``user`` may see holding it, up to
    ``SHARE_COUNT_CAP``."""
    others = CaseIndicator.objects.filter(indicator=OuterRef(ref)).exclude(case=case.pk)
    if restricted_q(user):
        # Only TLP:RED cases can be hidden, and few cases are: each entry is
        # checked against the small index of those (case_restricted), not
        # joined to its case.
        hidden = Case.objects.filter(pk=OuterRef("case_id"), tlp=Tlp.RED).exclude(
            restricted_q(user)
        )
        others = others.exclude(Exists(hidden))
    return {
        "shared_accounts": F("indicator__account_count"),
        "other_cases": SubqueryCount(others.order_by().values("id")[:SHARE_COUNT_CAP]),
    }


def review_flags(user, case: Case) -> list[ReviewFlag]:
    """The case's flagged values, open ones first, each with its counts (see ``shared_counts``)."""
    return list(
        ReviewFlag.objects.filter(case=case)
        .select_related("indicator", "resolved_by")
        .annotate(**shared_counts(user, case, "indicator_id"))
        .order_by("-status", "-raised_at", "-id")[:100]
    )
