"""The FilterSet behind the audit trail page, ``/api/v1/audit/events/`` and the
case page's audit panel.

Every filter is a query parameter, so a filtered trail is a shareable URL and
the API takes the same parameters. It only ever narrows a queryset the caller
has already restricted (``cases.visibility.visible_events``, or one case's
events): no filter can widen it.

The account filter needs no column of its own (so nothing enters the hash,
``audit.chain.HASHED_FIELDS``): the workflow records every step on an account
(linking, unlinking, protecting) with the account as the event's target, and
every step of an action with the action as its target, so "the events of an
account" is the events whose ``(target_type, target_id)`` is the account or one
of the actions naming it as a target (``ActionTarget.account``), both read
from the index ``audit_event_target_idx``.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Q, QuerySet

from audit.models import AuditEvent
from cases.models import Account, Case

ACCOUNT_TARGET = Account._meta.label_lower


def _action_model():
    """The action model, reached through the relation it declares to ``Case``
    (``case.actions``): actions belong to enforcement, a layer above cases and
    this module, which never imports it."""
    return Case.actions.field.model


# The largest id PostgreSQL's bigint holds: a larger one is an error named
# for its parameter, not a failed query.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class PeriodForm(forms.Form):
    """A filter form with a ``since``/``until`` period: ``until`` may not come first
    (the trail's filter and the enforcement ledger's)."""

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "Must not be before since.")
        return cleaned


class AuditEventFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(
        field_name="occurred_at",
        lookup_expr="gte",
        label="Since",
        help_text="ISO 8601, e.g. 2026-01-31T00:00:00Z.",
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="occurred_at",
        lookup_expr="lt",
        label="Until",
        help_text="ISO 8601; events before this moment.",
    )
    actor = django_filters.CharFilter(
        field_name="actor_username", label="Who", help_text="A username."
    )
    verb = django_filters.CharFilter(
        field_name="verb", label="What", help_text="An exact verb, e.g. case.assigned."
    )
    # The case's id, compared as a number: looking the case up to validate it
    # would cost a query and say whether a restricted case exists.
    case = IdFilter(method="filter_case", label="Case", min_value=1, max_value=MAX_ID)
    account = django_filters.CharFilter(
        method="filter_account", label="Account", help_text="A platform account id."
    )
    detector = django_filters.CharFilter(
        method="filter_detector", label="Detector", help_text="Its name or id."
    )
    type = django_filters.CharFilter(
        field_name="target_type", label="On", help_text="A kind of object, e.g. cases.case."
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []
        form = PeriodForm

    def __init__(self, data=None, *args, case_fixed: bool = False, **kwargs):
        super().__init__(data, *args, **kwargs)
        if case_fixed:
            # The case page's panel: its case is the page's.
            del self.filters["case"]

    def filter_case(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.for_case(value)

    def filter_account(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The account's id and its actions' ids are read first (one query) and
        # given to the trail's query as values: the planner then sees how few
        # events one account has and reads them by the target index. Given as
        # a subquery (``IN (SELECT ...)`` or ``= ANY(ARRAY(SELECT ...))``) they
        # are unknown to it, and it walks the whole trail newest first testing
        # each event (tests/audit/test_filter_plans.py).
        targets = _action_model().targets.field.model.objects.filter(account=OuterRef("pk"))
        found = (
            Account.objects.filter(external_id=value.strip())
            .annotate(actions=ArraySubquery(targets.values("action_id").distinct()))
            .values_list("pk", "actions")
            .first()
        )
        if found is None:
            return queryset.none()
        account_id, action_ids = found
        on_account = Q(target_type=ACCOUNT_TARGET, target_id=str(account_id))
        if not action_ids:
            return queryset.filter(on_account)
        on_actions = Q(
            target_type=_action_model()._meta.label_lower,
            target_id__in=[str(pk) for pk in action_ids],
        )
        return queryset.filter(on_account | on_actions)

    def filter_detector(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(detector_name=value) | Q(detector_id=value))
