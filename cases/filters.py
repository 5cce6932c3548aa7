"""The FilterSets behind the case pages and their API twins, one per list.

``CaseFilter`` is behind the queue page and ``/api/v1/cases/``;
``KnownSharedFilter`` behind the known-shared page and ``/api/v1/known-shared/``;
``CaseAccountFilter`` behind the case page's accounts panel and
``/api/v1/cases/<id>/accounts/``; ``CaseIndicatorFilter`` behind its
indicators panel.
Every filter is a query parameter, so a filtered list is a shareable URL and
the API takes the same parameters. ``CaseFilter`` always filters a queryset that
``visible_cases`` already restricted; no filter can widen it.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from cases.models import (
    STRONG_INDICATOR_CHOICES,
    STRONG_INDICATOR_TYPES,
    AccountIndicator,
    Case,
    CaseAccount,
    CaseIndicator,
    CaseStatus,
    EnforcementState,
    EscalationLevel,
    IndicatorType,
    KnownSharedValue,
    Severity,
    Tlp,
    overdue_q,
)
from cases.pagination import DEFAULT_SORT, SORT_CHOICES
from core.widgets import DateRangeInputs

ANY_YES_NO = [("", "Any"), ("true", "Yes"), ("false", "No")]


class CaseFilter(django_filters.FilterSet):
    # The queue's "/" key focuses this field (static/js/queue-keys.js).
    q = django_filters.CharFilter(
        method="filter_text",
        label="Search title and summary",
        widget=forms.TextInput(attrs={"aria-keyshortcuts": "/"}),
    )
    # distinct=False: these are the case's own columns (no join, no duplicate
    # rows), and a DISTINCT would sort every matching case before the page's
    # LIMIT instead of reading the sort's index. Checkboxes rather than a
    # multiple select: a keyboard ticks several without Ctrl-click.
    status = django_filters.MultipleChoiceFilter(
        choices=CaseStatus.choices, distinct=False, widget=forms.CheckboxSelectMultiple
    )
    severity = django_filters.MultipleChoiceFilter(
        choices=Severity.choices, distinct=False, widget=forms.CheckboxSelectMultiple
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        label="Assignee",
        help_text='A username, "me" or "unassigned".',
    )
    tlp = django_filters.MultipleChoiceFilter(
        choices=Tlp.choices, label="TLP", distinct=False, widget=forms.CheckboxSelectMultiple
    )
    escalation = django_filters.MultipleChoiceFilter(
        field_name="escalation_level",
        choices=EscalationLevel.choices,
        label="Escalated to",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tag = django_filters.CharFilter(method="filter_tag", label="Tag")
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at", label="Created between", widget=DateRangeInputs("Created")
    )
    due = django_filters.DateFromToRangeFilter(
        field_name="sla_due_at", label="SLA due between", widget=DateRangeInputs("SLA due")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue")
    detector = django_filters.CharFilter(method="filter_detector", label="Detector")
    kind = django_filters.CharFilter(
        method="filter_kind",
        label="Alert kind",
        help_text="e.g. distillation (includes distillation.*)",
    )
    has_account = django_filters.CharFilter(
        method="filter_account", label="Has account", help_text="A platform account id."
    )
    has_indicator = django_filters.CharFilter(
        method="filter_indicator",
        label="Has indicator",
        help_text="A value, or type:value (e.g. asn:AS64500).",
    )
    evasion = django_filters.BooleanFilter(field_name="is_possible_evasion", label="Evasion")
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES,
        method="filter_nothing",
        empty_label=None,
        null_label=None,
        label="Sort by",
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.form.fields["sort"].initial = DEFAULT_SORT
        for name in ("overdue", "evasion"):
            self.form.fields[name].widget = forms.Select(choices=ANY_YES_NO)

    @property
    def sort_name(self) -> str:
        if self.is_bound and self.form.is_valid():
            return self.form.cleaned_data.get("sort") or DEFAULT_SORT
        return DEFAULT_SORT

    def filter_nothing(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # Sorting is the paginator's job; the field is here so the form and
        # the schema show it.
        return queryset

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))

    def filter_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            user = getattr(self.request, "user", None)
            if user is None or not user.is_authenticated:
                return queryset.none()
            return queryset.filter(assignee_id=user.pk)
        return queryset.filter(assignee__username=value)

    def filter_tag(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(tags__contains=[value.strip()])

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = overdue_q()
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_detector(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Exists(_alerts_of_each_case(detector__name=value.strip())))

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip().rstrip(".")
        kinds = Q(kind=value) | Q(kind__startswith=f"{value}.")
        return queryset.filter(Exists(_alerts_of_each_case(kinds)))

    def filter_account(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        links = CaseAccount.objects.filter(case=OuterRef("pk"), account__external_id=value.strip())
        return queryset.filter(Exists(links))

    def filter_indicator(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        indicator = Q(indicator__value=value)
        kind, sep, rest = value.partition(":")
        if sep and kind in IndicatorType.values:
            indicator |= Q(indicator__type=kind, indicator__value=rest)
        shared = AccountIndicator.objects.filter(
            indicator, account__case_links__case=OuterRef("pk")
        )
        return queryset.filter(Exists(shared))


class KnownSharedFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(
        choices=STRONG_INDICATOR_CHOICES,
        label="Type",
    )
    q = django_filters.CharFilter(method="filter_text", label="Search values and reasons")

    class Meta:
        model = KnownSharedValue
        fields: list[str] = []

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(value__icontains=value) | Q(reason__icontains=value))


class CaseAccountFilter(django_filters.FilterSet):
    """The accounts of one case (a queryset of its links)."""

    protected = django_filters.BooleanFilter(field_name="account__is_protected", label="Protected")
    enforcement = django_filters.MultipleChoiceFilter(
        field_name="account__enforcement_state",
        choices=EnforcementState.choices,
        label="Enforcement",
        distinct=False,
    )
    why = django_filters.CharFilter(
        field_name="reason", lookup_expr="icontains", label="Why linked contains"
    )

    class Meta:
        model = CaseAccount
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.form.fields["protected"].widget = forms.Select(choices=ANY_YES_NO)
        self.form.fields["enforcement"].widget = forms.CheckboxSelectMultiple(
            choices=EnforcementState.choices
        )


STRENGTH_CHOICES = [("strong", "Strong"), ("weak", "Weak")]


class CaseIndicatorFilter(django_filters.FilterSet):
    """The indicators of one case (a queryset of ``CaseIndicator``)."""

    type = django_filters.MultipleChoiceFilter(
        field_name="indicator__type", choices=IndicatorType.choices, label="Type", distinct=False
    )
    strength = django_filters.ChoiceFilter(
        choices=STRENGTH_CHOICES, method="filter_strength", label="Strength", empty_label="Any"
    )

    class Meta:
        model = CaseIndicator
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.form.fields["type"].widget = forms.CheckboxSelectMultiple(
            choices=IndicatorType.choices
        )

    def filter_strength(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        strong = Q(indicator__type__in=STRONG_INDICATOR_TYPES)
        if value == "strong":
            return queryset.filter(strong)
        if value == "weak":
            return queryset.exclude(strong)
        return queryset


# Saved views: links to the queue with preset filters.
SAVED_VIEWS: list[tuple[str, str]] = [
    ("My cases", "assignee=me&sort=due"),
    ("Unassigned", "assignee=unassigned&status=new&status=triage&sort=severity"),
    ("Overdue", "overdue=true&sort=due"),
]


def _alerts_of_each_case(*conditions: Q, **lookups) -> QuerySet:
    """The alerts of the case an ``Exists`` on cases is evaluated for.

    Reached through the relation the alert model declares to ``Case``
    (``case.alerts``): alerts belong to ingestion, a layer above cases, which
    cases never imports.
    """
    alerts = Case.alerts.field.model
    return alerts.objects.filter(*conditions, case=OuterRef("pk"), **lookups)
