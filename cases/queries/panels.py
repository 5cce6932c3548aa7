"""The rows of the case page's panels, each in its keyset order, and the header's counts.

Each panel reads a page at a time from an index that leads with the case, so
a page of a case with 25,000 accounts costs what a page of one with five does.
"""

from __future__ import annotations

from django.db.models import Model, OuterRef, Prefetch, QuerySet

from cases.models import Account, Case, CaseAccount, CaseIndicator, Evidence, Note
from cases.pagination import Sort
from cases.queries.sharing import SHARE_COUNT_CAP, SubqueryCount
from cases.visibility import visible_cases

# Newest first: the account most recently created on the platform, the latest
# alert, evidence and note. Accounts go by account id, which the link's unique
# index (case, account) already orders.
ACCOUNT_SORT = Sort("accounts", "Newest accounts first", "account_id", True, False)
INDICATOR_SORT = Sort("indicators", "Newest values first", "indicator_id", True, False)
ALERT_SORT = Sort("alerts", "Latest first", "id", True, False)
EVIDENCE_SORT = Sort("evidence", "Latest first", "created_at", True, True)
NOTE_SORT = Sort("notes", "Latest first", "created_at", True, True)
RELATED_SORT = Sort("related", "Newest cases first", "id", True, False)
# Counted only this far: past it the header says "1,000+".
COUNT_CAP = SHARE_COUNT_CAP


def _reverse(name: str) -> type[Model]:
    """The model behind a reverse relation of ``Case`` declared by a layer above."""
    return Case._meta.get_field(name).related_model


def case_accounts(case: Case) -> QuerySet[CaseAccount]:
    # A page of links is read from the link's own index (case, account), then its
    # accounts by primary key: joined in one statement, the planner may merge-walk
    # the accounts table from its newest row down to the case's.
    return (
        CaseAccount.objects.filter(case=case)
        .select_related("linked_by")
        .only(
            "case",
            "account",
            "reason",
            "linked_by",
            "linked_by_detector",
            "linked_at",
            "linked_by__username",
        )
        .prefetch_related(
            Prefetch(
                "account",
                queryset=Account.objects.only(
                    "external_id",
                    "organization_id",
                    "email_domain",
                    "country",
                    "is_protected",
                    "protected_reason",
                    "enforcement_state",
                ),
            )
        )
    )


def case_alerts(case: Case) -> QuerySet:
    # Through the relation the alert model declares: alerts belong to
    # ingestion, a layer above cases.
    return case.alerts.select_related("detector").only(
        "case",
        "observed_at",
        "kind",
        "title",
        "severity",
        "external_id",
        "status",
        "detector__name",
    )


def case_evidence(case: Case) -> QuerySet[Evidence]:
    return Evidence.objects.filter(case=case).select_related("created_by").defer("content", "data")


def case_notes(case: Case) -> QuerySet[Note]:
    return Note.objects.filter(case=case).select_related("author")


def related_cases(user, case: Case) -> QuerySet[Case]:
    return visible_cases(user, case.related_cases.all())


def capped_counts(case: Case) -> dict[str, int]:
    """The header's counts the case does not keep as counters, each up to
    ``COUNT_CAP`` (one query, each count an index range of at most the cap)."""
    capped = {
        "notes": Note.objects.filter(case=OuterRef("pk")).order_by().values("pk"),
        "actions": _reverse("actions").objects.filter(case=OuterRef("pk")).order_by().values("pk"),
        "indicators": CaseIndicator.objects.filter(case=OuterRef("pk")).order_by().values("pk"),
    }
    row = (
        Case.objects.filter(pk=case.pk)
        .annotate(
            **{f"{name}_count": SubqueryCount(rows[:COUNT_CAP]) for name, rows in capped.items()}
        )
        .values(*(f"{name}_count" for name in capped))
        .get()
    )
    return {name: row[f"{name}_count"] for name in capped}
