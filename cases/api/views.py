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
from cases.models import Tlp
from cases.queries import assignee_named, case_for, queue_queryset
from cases.suggestions import suggested_tags
from cases.visibility import can_see, roles_gaining_sight, roles_losing_sight, with_changes
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


@extend_schema(tags=["cases"])
class CaseTlpView(CaseOperationMixin, APIView):
    """GET each marking and whom it would hide the case from; POST a new marking."""

    @extend_schema(responses=s.TlpSerializer)
    def get(self, request, pk: int):
        case = self.get_case()
        choices = [
            {
                "tlp": value,
                "allowed": value == case.tlp or workflow.may_set_tlp(request.user, case, value),
                "no_longer_see": [str(r) for r in roles_losing_sight(case, tlp=value)],
                "would_see": [str(r) for r in roles_gaining_sight(case, tlp=value)],
                "you_still_see": can_see(request.user, with_changes(case, tlp=value)),
            }
            for value in Tlp.values
        ]
        return Response(
            s.TlpSerializer({"tlp": case.tlp, "version": case.version, "choices": choices}).data
        )

    @extend_schema(request=s.TlpInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        case = self.get_case()
        data = validated(s.TlpInputSerializer, request)
        changed = self.run(
            lambda: workflow.set_tlp(
                case.pk,
                data["tlp"],
                actor=request.user,
                reason=data["reason"],
                version=data.get("version"),
            )
        )
        # The marking may hide the case from the caller: answer with it as it now is.
        return Response(s.CaseDetailSerializer(changed, context={"request": request}).data)


@extend_schema(tags=["cases"])
class CaseTagsView(CaseOperationMixin, APIView):
    """GET the tags and the alert labels suggested as tags; POST tags to add and remove."""

    @extend_schema(responses=s.TagsSerializer)
    def get(self, request, pk: int):
        case = self.get_case()
        return Response(
            s.TagsSerializer(
                {"tags": case.tags, "version": case.version, "suggested": suggested_tags(case)}
            ).data
        )

    @extend_schema(request=s.TagsInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        return self.change_case(
            s.TagsInputSerializer,
            lambda case, data: workflow.change_tags(
                case.pk,
                add=data["add"],
                remove=data["remove"],
                actor=request.user,
            ),
        )
