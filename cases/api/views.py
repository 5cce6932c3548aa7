"""Cases: list and detail, status changes and case fields."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import workflow
from cases.api import serializers as s
from cases.api.base import (
    CaseOperationMixin,
    CaseWorkerAPI,
    case_detail_data,
    drf_validation_error,
)
from cases.api.pagination import CaseKeysetPagination
from cases.filters import CaseFilter
from cases.queries import assignee_named, case_for, queue_queryset
from core.api import validated


@extend_schema(tags=["cases"])
class CaseViewSet(CaseWorkerAPI, viewsets.ReadOnlyModelViewSet):
    """Cases the caller may see, filtered like the queue (same parameters)."""

    filterset_class = CaseFilter
    pagination_class = CaseKeysetPagination

    def get_queryset(self):
        return queue_queryset(self.request.user)

    def get_serializer_class(self):
        return s.CaseDetailSerializer if self.action == "retrieve" else s.CaseSerializer


@extend_schema(tags=["cases"])
class CaseTransitionsView(CaseOperationMixin, APIView):
    """GET what the caller may do from here; POST a status change."""

    @extend_schema(responses=s.TransitionsSerializer)
    def get(self, request, pk: int):
        case = self.get_case()
        allowed = workflow.allowed_transitions(case, request.user)
        return Response(
            s.TransitionsSerializer(
                {
                    "status": case.status,
                    "version": case.version,
                    "allowed": [transition.label for transition in allowed],
                    "transitions": allowed,
                }
            ).data
        )

    @extend_schema(request=s.TransitionInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        return self.change_case(
            s.TransitionInputSerializer,
            lambda case, data: workflow.transition(
                case.pk,
                data["to_status"],
                actor=request.user,
                reason=data["reason"],
                resolution=data.get("resolution") or None,
                level=data.get("level") or None,
                version=data.get("version"),
            ),
        )


@extend_schema(tags=["cases"])
class CaseAssignView(CaseOperationMixin, APIView):
    @extend_schema(request=s.AssignInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        case = self.get_case()
        data = validated(s.AssignInputSerializer, request)
        try:
            assignee = assignee_named(data["assignee"], request.user)
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        self.run(
            lambda: workflow.assign(
                case.pk,
                assignee,
                actor=request.user,
                reason=data["reason"],
                version=data.get("version"),
            )
        )
        return Response(case_detail_data(self, case))


@extend_schema(tags=["cases"])
class CaseSeverityView(CaseOperationMixin, APIView):
    @extend_schema(request=s.SeverityInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        return self.change_case(
            s.SeverityInputSerializer,
            lambda case, data: workflow.set_severity(
                case.pk,
                data["severity"],
                actor=request.user,
                reason=data["reason"],
                version=data.get("version"),
            ),
        )


@extend_schema(tags=["cases"])
class CaseAttributionView(CaseOperationMixin, APIView):
    @extend_schema(request=s.AttributionInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        return self.change_case(
            s.AttributionInputSerializer,
            lambda case, data: workflow.set_attribution(
                case.pk,
                suspected_actor=data["actor"],
                confidence=data["confidence"],
                rationale=data["rationale"],
                actor=request.user,
                version=data.get("version"),
            ),
        )


@extend_schema(tags=["cases"])
class CaseMergeView(CaseOperationMixin, APIView):
    """A lead merges other cases into this one (``cases.workflow.merge_cases``)."""

    @extend_schema(request=s.MergeInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        case = self.get_case()
        data = validated(s.MergeInputSerializer, request)
        others = [case_for(request.user, other) for other in data["cases"]]
        if any(other is None for other in others):
            raise exceptions.NotFound("No such case to merge.")
        self.run(
            lambda: workflow.merge_cases(
                case.pk,
                [other.pk for other in others],
                actor=request.user,
                reason=data["reason"],
                version=data.get("version"),
            )
        )
        return Response(case_detail_data(self, case))
