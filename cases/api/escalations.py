"""``/api/v1/cases/escalated/``: "Escalated to me" for clients, as the page lists it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from cases.api.base import CaseWorkerAPI
from cases.api.pagination import FixedSortPagination
from cases.api.serializers import CaseSerializer
from cases.queries.escalations import ESCALATED_SORT, escalated_to
from people.roles import ESCALATION_RECEIVERS


class EscalatedCaseSerializer(CaseSerializer):
    escalated_by = serializers.SerializerMethodField(
        help_text="Username of who escalated it to its current level; null if unknown."
    )
    escalation_reason = serializers.SerializerMethodField(
        help_text="The reason given when it was escalated to its current level."
    )

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "escalated_by", "escalation_reason"]
        read_only_fields = fields

    def get_escalated_by(self, case) -> str | None:
        return (case.escalation or {}).get("by") or None

    def get_escalation_reason(self, case) -> str:
        return (case.escalation or {}).get("reason", "")


class EscalatedPagination(FixedSortPagination):
    sort = ESCALATED_SORT


@extend_schema(tags=["cases"])
class EscalatedCasesView(CaseWorkerAPI, generics.ListAPIView):
    """The escalated cases waiting on the caller, longest waiting first: those
    at the caller's levels (policy, legal, executive), every one for a lead."""

    allowed_roles = ESCALATION_RECEIVERS
    serializer_class = EscalatedCaseSerializer
    pagination_class = EscalatedPagination

    def get_queryset(self):
        return escalated_to(self.request.user)
