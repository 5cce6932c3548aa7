from __future__ import annotations

from django.views.generic import TemplateView

from cases.filters import SAVED_VIEWS, CaseFilter
from cases.pagination import InvalidCursor, paginate
from cases.queries import queue_queryset
from people.permissions import RoleRequiredMixin
from people.roles import CASE_READERS

PAGE_SIZE = 50


class QueueView(RoleRequiredMixin, TemplateView):
    """The case queue: filters in the URL, keyset pages, saved views."""

    allowed_roles = CASE_READERS
    template_name = "cases/queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        filterset = CaseFilter(
            request.GET or None, queryset=queue_queryset(request.user), request=request
        )
        cases: list = []
        page = None
        total = 0
        cursor_error = ""
        if not filterset.is_bound or filterset.is_valid():
            queryset = filterset.qs
            try:
                page = paginate(
                    queryset,
                    sort=filterset.sort_name,
                    cursor=request.GET.get("cursor"),
                    size=PAGE_SIZE,
                )
            except InvalidCursor:
                cursor_error = "That page link is no longer valid; showing the first page."
                page = paginate(queryset, sort=filterset.sort_name, cursor=None, size=PAGE_SIZE)
            cases = page.items
            total = queryset.count()
        query = request.GET.copy()
        query.pop("cursor", None)
        context.update(
            filter=filterset,
            cases=cases,
            page=page,
            total=total,
            cursor_error=cursor_error,
            base_query=query.urlencode(),
            saved_views=SAVED_VIEWS,
        )
        return context
