"""The evidence page: an item's content as text or a download (``cases.evidence_reading``)."""

from __future__ import annotations

from django.http import Http404
from django.views import View

from cases import queries
from cases.evidence_reading import evidence_response
from cases.models import Evidence
from people.permissions import RoleRequiredMixin
from people.roles import CASE_READERS


class EvidenceContentView(RoleRequiredMixin, View):
    """``?download=1`` saves the item; otherwise text is shown as text/plain."""

    allowed_roles = CASE_READERS
    http_method_names = ["get"]

    def get(self, request, pk: int, evidence_id: int):
        case = queries.case_for(request.user, pk)
        if case is None:
            raise Http404("No such case.")
        item = Evidence.objects.filter(pk=evidence_id, case=case).first()
        if item is None:
            raise Http404("No such evidence.")
        return evidence_response(
            request.user, case, item, download=request.GET.get("download") == "1"
        )
