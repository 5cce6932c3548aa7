"""Which values a case's accounts share with other accounts and other cases."""

from __future__ import annotations

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery

from cases.models import AccountIndicator, Case, Indicator, ReviewFlag
from cases.visibility import visible_cases

# Counting further than this says nothing more than "very common".
SHARE_COUNT_CAP = 1000


class SubqueryCount(Subquery):
    """``count(*)`` of a (possibly sliced) subquery, so a count can be capped."""

    template = "(SELECT count(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def case_indicators(user, case: Case) -> QuerySet[Indicator]:
    """Indicators of the case's accounts, with how many accounts and other cases share each.

    The other cases counted are only those ``user`` may see, and both counts
    stop at ``SHARE_COUNT_CAP``.
    """
    return Indicator.objects.filter(
        pk__in=AccountIndicator.objects.filter(account__case_links__case=case).values(
            "indicator_id"
        )
    ).annotate(**_shared_counts(user, case))


def _shared_counts(user, exclude_case: Case | None = None, ref: str = "pk") -> dict:
    """How many accounts carry the indicator at ``ref``, and how many other cases
    ``user`` may see hold those accounts, both up to ``SHARE_COUNT_CAP``."""
    accounts = AccountIndicator.objects.filter(indicator=OuterRef(ref)).values("id")[
        :SHARE_COUNT_CAP
    ]
    cases = visible_cases(user).filter(
        account_links__account__indicator_links__indicator=OuterRef(ref)
    )
    if exclude_case is not None:
        cases = cases.exclude(pk=exclude_case.pk)
    other_cases = cases.order_by().values("id").distinct()[:SHARE_COUNT_CAP]
    return {"shared_accounts": SubqueryCount(accounts), "other_cases": SubqueryCount(other_cases)}


def review_flags(user, case: Case) -> list[ReviewFlag]:
    """The case's flagged values, open ones first, each with its counts (see ``_shared_counts``)."""
    return list(
        ReviewFlag.objects.filter(case=case)
        .select_related("indicator", "resolved_by")
        .annotate(**_shared_counts(user, case, "indicator_id"))
        .order_by("-status", "-raised_at", "-id")[:100]
    )
