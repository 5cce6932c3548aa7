"""The FilterSets behind the approvals page and ``/api/v1/actions/``, and the
enforcement ledger's (``/api/v1/actions/ledger``).

Every filter is a query parameter, so a filtered approvals queue is a
shareable URL and the API takes the same parameters. It only ever narrows a
queryset the caller has already restricted (visible cases, awaiting states).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from audit.filters import MAX_ID, IdFilter, PeriodForm
from core.widgets import DateRangeInputs
from enforcement.models import Action, ActionKind, ActionState, ActionTarget


class ActionFilter(django_filters.FilterSet):
    # distinct=False: the action's own columns, no join that could repeat a row.
    state = django_filters.MultipleChoiceFilter(
        choices=ActionState.choices, distinct=False, widget=forms.CheckboxSelectMultiple
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=ActionKind.choices, distinct=False, widget=forms.CheckboxSelectMultiple
    )
    # The case's id, compared as a number: looking the case up to validate it
    # would cost a query and say whether a restricted case exists.
    case = django_filters.NumberFilter(field_name="case_id", label="Case", min_value=1)
    proposer = django_filters.CharFilter(
        method="filter_proposer", label="Proposed by", help_text='A username or "me".'
    )
    proposed = django_filters.DateFromToRangeFilter(
        field_name="proposed_at", label="Proposed between", widget=DateRangeInputs("Proposed")
    )

    class Meta:
        model = Action
        fields: list[str] = []

    def limit_states(self, states: list[str]) -> None:
        """Offer (and accept) only these states, as a list of a few states does."""
        self.form.fields["state"].choices = [
            choice for choice in ActionState.choices if choice[0] in states
        ]

    def filter_proposer(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value == "me":
            user = getattr(self.request, "user", None)
            if user is None or not user.is_authenticated:
                return queryset.none()
            return queryset.filter(proposed_by_id=user.pk)
        return queryset.filter(proposed_by__username=value)


class LedgerFilter(django_filters.FilterSet):
    """The enforcement ledger's period and narrowing (``enforcement.ledger``).

    The period selects actions by when they were proposed, which never
    changes: the targets of a period are fixed, whatever happens to them
    while the ledger streams.
    """

    since = django_filters.IsoDateTimeFilter(
        field_name="action__proposed_at",
        lookup_expr="gte",
        label="Since",
        help_text="ISO 8601, e.g. 2026-01-31T00:00:00Z: actions proposed at or after this moment.",
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="action__proposed_at",
        lookup_expr="lt",
        label="Until",
        help_text="ISO 8601: actions proposed before this moment.",
    )
    case = IdFilter(
        field_name="action__case_id",
        label="Case",
        help_text="A case's id: only its actions' targets.",
        min_value=1,
        max_value=MAX_ID,
    )
    kind = django_filters.ChoiceFilter(
        field_name="action__kind",
        choices=ActionKind.choices,
        label="Kind",
        help_text="Only actions of this kind.",
    )

    class Meta:
        model = ActionTarget
        fields: list[str] = []
        form = PeriodForm
