"""The audit trail page: the latest events first, for managers, and the cases one
event concerns."""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, F, Func, IntegerField
from django.http import Http404
from django.urls import reverse
from django.views.generic import TemplateView

from audit import exports
from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from cases.models import Case
from cases.visibility import visible_events
from people.permissions import RoleRequiredMixin
from people.roles import MANAGERS

PAGE_SIZE = 100
CASES_PAGE_SIZE = 100
# An event naming more cases than this shows their count, linked to their list:
# one import batch concerns hundreds of cases.
CASES_SHOWN = 3


class _Cardinality(Func):
    function = "cardinality"
    output_field = IntegerField()


class _FirstCases(Func):
    """The first ``CASES_SHOWN`` ids of ``case_ids``, never the whole array."""

    template = f"(%(expressions)s)[1:{CASES_SHOWN}]"
    output_field = ArrayField(BigIntegerField())


def _positive_int(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) < 19:
        return int(value)
    return None


# What an event's target links to, by its type: the case page, the action page.
TARGET_PAGES = {"cases.case": "cases:detail", "enforcement.action": "enforcement:action"}


def target_url(event: AuditEvent) -> str | None:
    """The page of what ``event`` concerns, where it has one.

    The viewer sees the target: an event listed concerns no case hidden from
    them (``trail_events``), and a case or action target is one of its cases
    (``audit.events.record`` adds a case target, the workflow an action's case).
    """
    name = TARGET_PAGES.get(event.target_type)
    if name is None or not event.target_id.isdigit():
        return None
    return reverse(name, args=[int(event.target_id)])


def trail_events(user):
    """The events ``user`` may read, as the page and ``/api/v1/audit/events/`` list them:
    none of a case hidden from them (``visible_events``)."""
    return visible_events(user, AuditEvent.objects.all())


def _export_params(filterset: AuditEventFilter) -> list[tuple[str, str]]:
    """The page's filter as the export form sends it: only a valid one, and
    without the paging cursor, which is the page's alone."""
    if not filterset.is_bound or not filterset.is_valid():
        return []
    return [
        (name, value)
        for name, value in filterset.form.data.items()
        if name in filterset.filters and value
    ]


class EventListView(RoleRequiredMixin, TemplateView):
    """Newest first, paged by sequence number (``?before=``), filtered by
    ``AuditEventFilter`` as ``/api/v1/audit/events/`` is."""

    allowed_roles = MANAGERS
    template_name = "audit/events.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The page shows neither before/after nor the whole case list: an
        # import's event names every case of its batch.
        events = (
            trail_events(self.request.user)
            .defer("case_ids", "before", "after", "prev_hash")
            .annotate(case_count=_Cardinality(F("case_ids")), first_cases=_FirstCases("case_ids"))
            .order_by("-sequence")
        )
        filterset = AuditEventFilter(
            self.request.GET or None, queryset=events, request=self.request
        )
        events = events.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        case_id = filterset.form.cleaned_data.get("case") if filterset.is_bound else None
        case_id = case_id if isinstance(case_id, int) else None
        query = self.request.GET.copy()
        query.pop("before", None)
        before = _positive_int(self.request.GET.get("before"))
        if before is not None:
            events = events.filter(sequence__lt=before)
        page = list(events[: PAGE_SIZE + 1])
        has_more = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        for event in page:
            event.target_url = target_url(event)
        context.update(
            events=page,
            filter=filterset,
            case_id=case_id,
            export_params=_export_params(filterset),
            sync_max_rows=settings.AUDIT_EXPORT_SYNC_MAX_ROWS,
            signing_key=base64.b64encode(exports.public_key()).decode(),
            signing_key_id=exports.signing_key_id(),
            base_query=query.urlencode(),
            cases_shown=CASES_SHOWN,
            next_before=page[-1].sequence if has_more else None,
        )
        return context


# The event's cases in id order from the cursor on, each read by its key: the
# array is unnested once, never matched against every case.
EVENT_CASES_SQL = """
    SELECT c.* FROM (
        SELECT DISTINCT unnest(case_ids) AS id FROM audit_auditevent WHERE sequence = %s
    ) ids
    JOIN cases_case c ON c.id = ids.id
    WHERE ids.id > %s
    ORDER BY ids.id
    LIMIT %s
"""


class EventCasesView(RoleRequiredMixin, TemplateView):
    """The cases one event concerns, by id, paged by id (``?after=``)."""

    allowed_roles = MANAGERS
    template_name = "audit/event_cases.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = (
            AuditEvent.objects.filter(sequence=kwargs["sequence"])
            .defer("case_ids", "before", "after")
            .annotate(case_count=_Cardinality(F("case_ids")))
            .first()
        )
        if event is None:
            raise Http404("No such event.")
        after = _positive_int(self.request.GET.get("after")) or 0
        cases = list(
            Case.objects.raw(EVENT_CASES_SQL, [event.sequence, after, CASES_PAGE_SIZE + 1])
        )
        has_more = len(cases) > CASES_PAGE_SIZE
        cases = cases[:CASES_PAGE_SIZE]
        context.update(
            event=event,
            cases=cases,
            next_after=cases[-1].pk if has_more else None,
            first_page=after == 0,
        )
        return context
