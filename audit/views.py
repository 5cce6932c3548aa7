"""The audit trail page: the latest events first, for managers."""

from __future__ import annotations

from django.views.generic import TemplateView

from audit.models import AuditEvent
from people.permissions import RoleRequiredMixin
from people.roles import MANAGERS

PAGE_SIZE = 100


def _positive_int(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) < 19:
        return int(value)
    return None


class EventListView(RoleRequiredMixin, TemplateView):
    """Newest first, paged by sequence number (``?before=``), optionally for one case."""

    allowed_roles = MANAGERS
    template_name = "audit/events.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        events = AuditEvent.objects.order_by("-sequence")
        case_id = _positive_int(self.request.GET.get("case"))
        if case_id is not None:
            events = events.for_case(case_id)
        before = _positive_int(self.request.GET.get("before"))
        if before is not None:
            events = events.filter(sequence__lt=before)
        page = list(events[: PAGE_SIZE + 1])
        has_more = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        context.update(
            events=page,
            case_id=case_id,
            next_before=page[-1].sequence if has_more else None,
        )
        return context
