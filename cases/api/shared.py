"""The known-shared list for leads: list, read, add (with a reason), remove (with a reason).

Changes go through ``cases.workflow``, which refuses and audits anyone but a
lead; the endpoint admits only leads as well.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from cases import workflow
from cases.api import serializers as s
from cases.api.base import AUTHENTICATION
from cases.api.pagination import IdCursorPagination
from cases.filters import KnownSharedFilter
from cases.models import KnownSharedValue
from core.api import validated
from people.permissions import HasRole
from people.roles import LEADS


@extend_schema(tags=["known shared"])
class KnownSharedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Strong values honest customers share: each joins no case from the next batch on."""

    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = LEADS
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
