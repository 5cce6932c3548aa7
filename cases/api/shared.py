"""The known-shared list for leads (list, read, add and remove, with reasons), and a
lead's decision on a value flagged for review on a case.

Changes go through ``cases.workflow``, which refuses and audits anyone but a
lead; the list's endpoint admits only leads as well.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import workflow
from cases.api import serializers as s
from cases.api.base import AUTHENTICATION, INTEGER_ID, CaseOperationMixin, case_detail_data
from cases.api.pagination import IdCursorPagination
from cases.filters import KnownSharedFilter
from cases.models import KnownSharedValue, ReviewFlag
from core.api import validated
from people.permissions import HasRole
from people.roles import LEADS


@extend_schema(tags=["known shared"])
class KnownSharedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Strong values honest customers share: each joins no case from the next batch on."""

    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = LEADS
    lookup_value_regex = INTEGER_ID
    serializer_class = s.KnownSharedSerializer
    pagination_class = IdCursorPagination
    filterset_class = KnownSharedFilter

    def get_queryset(self):
        return KnownSharedValue.objects.select_related("added_by")

    @extend_schema(request=s.KnownSharedInputSerializer, responses={201: s.KnownSharedSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(s.KnownSharedInputSerializer, request)
        entry = workflow.add_known_shared(
            data["type"], data["value"], actor=request.user, reason=data["reason"]
        )
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonInputSerializer, responses={204: None})
    def destroy(self, request, *args, **kwargs):
        entry = self.get_object()
        data = validated(s.ReasonInputSerializer, request)
        workflow.remove_known_shared(entry, actor=request.user, reason=data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["cases"])
class CaseReviewFlagView(CaseOperationMixin, APIView):
    """A lead decides a flagged value: put it on the known-shared list, or dismiss the flag."""

    @extend_schema(request=s.ResolveFlagInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int, flag_id: int):
        case = self.get_case()
        flag = ReviewFlag.objects.filter(pk=flag_id, case=case).first()
        if flag is None:
            raise NotFound("No such review flag on this case.")
        data = validated(s.ResolveFlagInputSerializer, request)
        workflow.resolve_flag(flag, data["decision"], actor=request.user, reason=data["reason"])
        return Response(case_detail_data(self, case))
