"""Read-side queries for the case pages and API (no state changes here).

Each function costs a fixed number of queries whatever the number of rows,
and every case it returns went through ``visible_cases``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from audit.models import AuditEvent
from cases.models import (
    Account,
    AccountIndicator,
    Case,
    CaseAccount,
    Evidence,
    EvidenceKind,
    Indicator,
    Note,
    ReviewFlag,
)
from cases.visibility import visible_cases

# How many of each kind of item the case page shows (newest kept).
TIMELINE_LIMIT = 200
AUDIT_LIMIT = 200
# Counting further than this says nothing more than "very common".
SHARE_COUNT_CAP = 1000
# Reads are in the audit trail; the timeline shows what changed the case.
TIMELINE_SKIPPED_VERBS = frozenset({"note.added", "evidence.added", "evidence.viewed"})


class SubqueryCount(Subquery):
    """``count(*)`` of a (possibly sliced) subquery, so a count can be capped."""

    template = "(SELECT count(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def assignee_named(name: str, user: AbstractBaseUser) -> AbstractBaseUser | None:
    """Who an assign request names: ``user`` for "me", nobody when blank, otherwise
    the active person with that username (a ValidationError on "assignee" if none)."""
    name = name.strip()
    if name == "me":
        return user
    if not name:
        return None
    assignee = get_user_model().objects.filter(username=name, is_active=True).first()
    if assignee is None:
        raise ValidationError({"assignee": f"No active person named {name!r}."})
    return assignee


def account_to_link(external_id: str) -> Account:
    """The platform account with this id (a ValidationError on "external_id" if none)."""
    account = Account.objects.filter(external_id=external_id.strip()).first()
    if account is None:
        raise ValidationError({"external_id": "No platform account has this id."})
    return account


def queue_queryset(user) -> QuerySet[Case]:
    """Cases ``user`` may see, with what a queue row shows, in a fixed number of queries."""
    return visible_cases(user).select_related("assignee")


def case_for(user, pk: int) -> Case | None:
    """The case if ``user`` may see it (None otherwise: the caller answers 404)."""
    return visible_cases(user).select_related("assignee", "updated_by").filter(pk=pk).first()


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # alert, note, evidence, event
    title: str
    actor: str = ""
    body: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    obj: Any = None


def _event_title(event: AuditEvent) -> str:
    after = event.after or {}
    before = event.before or {}
    verb = event.verb
    if verb in ("case.status_changed", "case.escalated", "case.handed_back", "case.reopened"):
        text = f"Status {before.get('status', '?')} → {after.get('status', '?')}"
        if after.get("escalation_level"):
            text += f" ({after['escalation_level']})"
        return text
    if verb == "case.closed":
        return f"Closed as {after.get('resolution', '?')}"
    if verb == "case.assigned":
        return f"Assigned to {after.get('assignee') or 'nobody'}"
    if verb == "case.severity_changed":
        return f"Severity {before.get('severity', '?')} → {after.get('severity', '?')}"
    if verb == "case.attribution_changed":
        return f"Attribution set to {after.get('attribution_actor') or 'nobody'}"
    if verb == "case.account_linked":
        return f"Account {after.get('account', '')} linked"
    if verb == "case.account_unlinked":
        return f"Account {before.get('account', '')} unlinked"
    if verb.startswith("action."):
        return f"Action {verb.split('.', 1)[1].replace('_', ' ')}: {event.target_repr}"
    return f"{verb.replace('.', ' ').replace('_', ' ').capitalize()}: {event.target_repr}"


def audit_trail(case: Case) -> list[AuditEvent]:
    """The case's events, and those of every case merged into it (``merged_into``
    always names the final survivor, so one level reaches them all)."""
    # One query: the ids are gathered by the statement itself (the GIN index
    # serves ``&&`` with an array computed once).
    ids = RawSQL(
        "ARRAY[%s]::bigint[] || ARRAY(SELECT id FROM cases_case WHERE merged_into_id = %s)",
        [case.pk, case.pk],
        output_field=ArrayField(BigIntegerField()),
    )
    events = AuditEvent.objects.filter(case_ids__overlap=ids)
    return list(events.order_by("-sequence")[:AUDIT_LIMIT])


def timeline(
    case: Case, notes: list[Note], evidence: list[Evidence], events: list[AuditEvent]
) -> list[TimelineEntry]:
    """Alerts, notes, evidence, transitions and actions of a case, oldest first."""
    entries: list[TimelineEntry] = []
    # Through the relation the alert model declares: alerts belong to
    # ingestion, a layer above cases.
    alerts = (
        case.alerts.all()
        .select_related("detector")
        .only("observed_at", "kind", "title", "severity", "detector__name", "external_id")
        .order_by("-observed_at")[:TIMELINE_LIMIT]
    )
    for alert in alerts:
        entries.append(
            TimelineEntry(
                alert.observed_at,
                "alert",
                f"{alert.kind}: {alert.title or alert.external_id}",
                actor=f"detector {alert.detector.name}",
                detail={"severity": alert.severity},
            )
        )
    for note in notes:
        entries.append(
            TimelineEntry(
                note.created_at, "note", "Note", note.author.get_username(), note.body, obj=note
            )
        )
    for item in evidence:
        if item.kind == EvidenceKind.ALERT:
            continue
        entries.append(
            TimelineEntry(
                item.created_at,
                "evidence",
                f"Evidence added: {item.title}",
                item.created_by_label,
                detail={"sha256": item.sha256, "kind": item.get_kind_display()},
                obj=item,
            )
        )
    for event in events:
        if event.verb in TIMELINE_SKIPPED_VERBS:
            continue
        entries.append(
            TimelineEntry(
                event.occurred_at,
                "event",
                _event_title(event),
                event.actor_label,
                event.reason,
                detail={"verb": event.verb},
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return entries[-TIMELINE_LIMIT:]


def case_notes(case: Case) -> list[Note]:
    return list(
        Note.objects.filter(case=case)
        .select_related("author")
        .order_by("-created_at")[:TIMELINE_LIMIT]
    )


def case_evidence(case: Case) -> list[Evidence]:
    return list(
        Evidence.objects.filter(case=case)
        .select_related("created_by")
        .defer("content", "data")
        .order_by("-created_at", "-id")[:TIMELINE_LIMIT]
    )


def case_accounts(case: Case) -> list[CaseAccount]:
    return list(
        CaseAccount.objects.filter(case=case)
        .select_related("account", "linked_by")
        .order_by("-account__is_protected", "account__external_id")
    )


def case_indicators(user, case: Case) -> list[Indicator]:
    """Indicators of the case's accounts, with how many accounts and other cases share each.

    The other cases counted are only those ``user`` may see, and both counts
    stop at ``SHARE_COUNT_CAP``.
    """
    return list(
        Indicator.objects.filter(
            pk__in=AccountIndicator.objects.filter(account__case_links__case=case).values(
                "indicator_id"
            )
        )
        .annotate(**_shared_counts(user, case))
        .order_by("type", "value")[:500]
    )


def related_cases(user, case: Case) -> list[Case]:
    return list(visible_cases(user, case.related_cases.all()).order_by("-id")[:50])


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
