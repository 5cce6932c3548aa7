from __future__ import annotations

from django.http import Http404
from django.views.generic import TemplateView

from cases.queries import queue_queryset
from people.navigation import CASE_WORKERS
from people.permissions import RoleRequiredMixin


class CaseDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = CASE_WORKERS
    template_name = "cases/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = queue_queryset(self.request.user).filter(pk=kwargs["pk"]).first()
        if case is None:
            raise Http404("No such case.")
        context["case"] = case
        return context
