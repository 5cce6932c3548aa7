from django.views.generic import ListView

from cases.models import Case
from people.navigation import CASE_WORKERS
from people.permissions import RoleRequiredMixin


class QueueView(RoleRequiredMixin, ListView):
    allowed_roles = CASE_WORKERS
    template_name = "cases/queue.html"
    context_object_name = "cases"
    paginate_by = 50

    def get_queryset(self):
        return Case.objects.select_related("assignee").order_by("-last_activity_at", "-id")
