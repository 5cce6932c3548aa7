from __future__ import annotations

from django.views.generic import TemplateView

from cases.pagination import InvalidCursor, page_of
from cases.queries.escalations import ESCALATED_SORT, escalated_to
from people.permissions import RoleRequiredMixin
from people.roles import ESCALATION_RECEIVERS, LEADS, has_role

PAGE_SIZE = 50


class EscalatedView(RoleRequiredMixin, TemplateView):
    """ "Escalated to me": the cases waiting on the reader's level (every level
    for a lead), longest waiting first, each with why and by whom."""

    allowed_roles = ESCALATION_RECEIVERS
    template_name = "cases/escalated.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queryset = escalated_to(self.request.user)
        cursor_error = ""
        try:
            page = page_of(
                queryset, ESCALATED_SORT, cursor=self.request.GET.get("cursor"), size=PAGE_SIZE
            )
        except InvalidCursor:
            cursor_error = "That page link is no longer valid; showing the first page."
            page = page_of(queryset, ESCALATED_SORT, cursor=None, size=PAGE_SIZE)
        context.update(
            page=page,
            cases=page.items,
            cursor_error=cursor_error,
            every_level=has_role(self.request.user, *LEADS),
        )
        return context
