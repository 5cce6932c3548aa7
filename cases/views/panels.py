"""The case page's panels: one page of rows each, reachable by URL.

On the case page a panel's parameters carry its name as a prefix
(``/cases/7/?accounts-after=…&accounts-protected=true#accounts``); the same
panel alone is ``/cases/7/panels/accounts/?after=…&protected=true``, the HTML
of its section and nothing else. Its "Next" link is an ordinary link, so
paging works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import QuerySet

from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from cases import queries
from cases.filters import CaseAccountFilter, CaseIndicatorFilter
from cases.models import Case
from cases.pagination import InvalidCursor, Sort, page_of
from cases.queries.trail import SHOW_ALL, SHOW_CHOICES
from core.filtering import given

PAGE_SIZES = {
    "accounts": 50,
    "indicators": 25,
    "alerts": 25,
    "evidence": 25,
    "notes": 20,
    "related": 20,
    "timeline": 30,
    "audit": 30,
    "actions": 10,
}
PANEL_NAMES = tuple(PAGE_SIZES)


@dataclass
class PanelLinks:
    """Where a panel's parameters are read from and where its links lead."""

    request: Any
    name: str
    alone: bool  # the panel's own URL, not the case page

    def param(self, field_name: str) -> str:
        return field_name if self.alone else f"{self.name}-{field_name}"

    @property
    def prefix(self) -> str | None:
        return None if self.alone else self.name

    @property
    def cursor(self) -> str | None:
        return self.request.GET.get(self.param("after")) or None

    @property
    def size(self) -> int:
        return PAGE_SIZES[self.name]

    def _url(self, query) -> str:
        encoded = query.urlencode()
        url = f"{self.request.path}?{encoded}" if encoded else self.request.path
        return url if self.alone else f"{url}#{self.name}"

    def next_url(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        query = self.request.GET.copy()
        query[self.param("after")] = cursor
        return self._url(query)

    def first_url(self) -> str | None:
        """Back to the first page (None when on it)."""
        if self.cursor is None:
            return None
        query = self.request.GET.copy()
        query.pop(self.param("after"), None)
        return self._url(query)


@dataclass
class Panel:
    name: str
    items: list
    next_url: str | None
    first_url: str | None
    filters: forms.Form | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _keyset(links: PanelLinks, rows: QuerySet, sort: Sort, filters=None) -> Panel:
    try:
        page = page_of(rows, sort, cursor=links.cursor, size=links.size)
    except InvalidCursor:
        # A mangled link shows the first page rather than an error.
        page = page_of(rows, sort, cursor=None, size=links.size)
    return Panel(
        links.name, page.items, links.next_url(page.next_cursor), links.first_url(), filters
    )


def _filtered(filterset_class, links: PanelLinks, rows: QuerySet):
    filterset = filterset_class(links.request.GET, queryset=rows, prefix=links.prefix)
    rows = filterset.qs if filterset.is_valid() else rows.none()
    return filterset.form, rows


def accounts_panel(links: PanelLinks, case: Case, user) -> Panel:
    form, rows = _filtered(CaseAccountFilter, links, queries.case_accounts(case))
    return _keyset(links, rows, queries.ACCOUNT_SORT, form)


def indicators_panel(links: PanelLinks, case: Case, user) -> Panel:
    form, rows = _filtered(CaseIndicatorFilter, links, queries.case_indicators(user, case))
    return _keyset(links, rows, queries.INDICATOR_SORT, form)


def alerts_panel(links: PanelLinks, case: Case, user) -> Panel:
    return _keyset(links, queries.case_alerts(case), queries.ALERT_SORT)


def evidence_panel(links: PanelLinks, case: Case, user) -> Panel:
    return _keyset(links, queries.case_evidence(case), queries.EVIDENCE_SORT)


def notes_panel(links: PanelLinks, case: Case, user) -> Panel:
    return _keyset(links, queries.case_notes(case), queries.NOTE_SORT)


def related_panel(links: PanelLinks, case: Case, user) -> Panel:
    return _keyset(links, queries.related_cases(user, case), queries.RELATED_SORT)


def audit_panel(links: PanelLinks, case: Case, user) -> Panel:
    # The trail page's filters, the case fixed to this one (and its merged cases).
    filterset = AuditEventFilter(
        links.request.GET,
        queryset=AuditEvent.objects.all(),
        prefix=links.prefix,
        request=links.request,
        case_fixed=True,
    )
    if not filterset.is_valid():
        rows = queries.case_trail(case).none()
    elif given(filterset):
        # A filter given narrows the case's links to the events it keeps; none
        # given, the links alone are one index range.
        rows = queries.case_trail(case, narrowed_to=filterset.qs)
    else:
        rows = queries.case_trail(case)
    panel = _keyset(links, rows, queries.AUDIT_SORT, filterset.form)
    panel.items = [link.event for link in panel.items]
    return panel


class TimelineForm(forms.Form):
    show = forms.ChoiceField(choices=SHOW_CHOICES, required=False, label="Show")


def timeline_panel(links: PanelLinks, case: Case, user) -> Panel:
    form = TimelineForm(links.request.GET, prefix=links.prefix)
    show = (form.cleaned_data.get("show") if form.is_valid() else "") or SHOW_ALL
    try:
        page = queries.timeline_page(case, show=show, cursor=links.cursor, size=links.size)
    except InvalidCursor:
        page = queries.timeline_page(case, show=show, cursor=None, size=links.size)
    return Panel(
        links.name, page.entries, links.next_url(page.next_cursor), links.first_url(), form
    )


# The actions panel is enforcement's ({% case_actions_panel %}): it pages
# itself with the links it is given.
BUILDERS: dict[str, Callable[[PanelLinks, Case, Any], Panel]] = {
    "accounts": accounts_panel,
    "indicators": indicators_panel,
    "alerts": alerts_panel,
    "evidence": evidence_panel,
    "notes": notes_panel,
    "related": related_panel,
    "timeline": timeline_panel,
    "audit": audit_panel,
}


def panel_context(request, case: Case, names, *, alone: bool) -> dict[str, Any]:
    """The named panels' pages, each under its own name, and every panel's links."""
    links = {name: PanelLinks(request, name, alone) for name in PANEL_NAMES}
    context: dict[str, Any] = {"panel_links": links}
    for name in names:
        if name in BUILDERS:
            context[name] = BUILDERS[name](links[name], case, request.user)
    return context
