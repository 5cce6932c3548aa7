"""What a case holds: notes, evidence (and reading it) and linked accounts."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import workflow
from cases.api import serializers as s
from cases.api.base import CaseOperationMixin, CaseWorkerAPI
from cases.api.pagination import CaseAccountPagination, IdCursorPagination
from cases.evidence_reading import evidence_response
from cases.filters import CaseAccountFilter
from cases.models import Account, CaseAccount, Evidence, Note
from cases.queries import account_to_link, case_for
from core.api import validated


@extend_schema(tags=["cases"])
class CaseNotesView(CaseOperationMixin, generics.ListCreateAPIView):
    serializer_class = s.NoteSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return self.case_rows(Note).select_related("author")

    def create(self, request, *args, **kwargs):
        case = self.get_case()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data["body"]
        note = self.run(lambda: workflow.add_note(case.pk, body, actor=request.user))
        return Response(self.get_serializer(note).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["cases"])
class CaseEvidenceView(CaseOperationMixin, generics.ListCreateAPIView):
    """Evidence metadata; POST a multipart ``file`` or JSON ``title`` + ``content``."""

    serializer_class = s.EvidenceSerializer
    pagination_class = IdCursorPagination
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return self.case_rows(Evidence).select_related("created_by").defer("content", "data")

    @extend_schema(request=s.EvidenceInputSerializer, responses={201: s.EvidenceSerializer})
    def post(self, request, *args, **kwargs):
        case = self.get_case()
        data = validated(s.EvidenceInputSerializer, request)
        if data.get("file"):

            def call():
                return workflow.add_evidence_file(
                    case.pk,
                    data["file"],
                    actor=request.user,
                    title=data.get("title", ""),
                    reason=data["reason"],
                )
        else:

            def call():
                return workflow.add_evidence_text(
                    case.pk,
                    title=data.get("title", ""),
                    content=data["content"],
                    kind=data["kind"],
                    actor=request.user,
                    reason=data["reason"],
                )

        try:
            item = self.run(call)
        except exceptions.ValidationError as exc:
            if isinstance(exc.detail, dict) and list(exc.detail) == ["non_field_errors"]:
                raise exceptions.ValidationError({"file": exc.detail["non_field_errors"]}) from exc
            raise
        return Response(
            s.EvidenceSerializer(item, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(
    tags=["cases"],
    parameters=[OpenApiParameter("download", bool, description="Save instead of show.")],
    responses={(200, "text/plain"): str, (200, "application/octet-stream"): bytes},
)
class EvidenceContentAPIView(CaseWorkerAPI, APIView):
    """An item's content as text/plain or a download; each read is an audit event."""

    def get(self, request, pk: int, evidence_id: int):
        case = case_for(request.user, pk)
        item = Evidence.objects.filter(pk=evidence_id, case=case).first() if case else None
        if item is None:
            raise exceptions.NotFound("No such evidence.")
        try:
            return evidence_response(
                request.user,
                case,
                item,
                download=request.query_params.get("download") in ("1", "true"),
            )
        except Http404 as exc:
            raise exceptions.NotFound(str(exc)) from exc


@extend_schema(tags=["cases"])
class CaseAccountsView(CaseOperationMixin, generics.ListAPIView):
    """The case's accounts with why each is linked; POST links one (with a reason)."""

    serializer_class = s.CaseAccountSerializer
    pagination_class = CaseAccountPagination
    filterset_class = CaseAccountFilter

    def get_queryset(self):
        return self.case_rows(CaseAccount).select_related("account", "linked_by")

    @extend_schema(request=s.LinkAccountInputSerializer, responses={201: s.CaseAccountSerializer})
    def post(self, request, pk: int):
        case = self.get_case()
        data = validated(s.LinkAccountInputSerializer, request)
        # run answers an unknown account (a ValidationError) with a 400 at "external_id".
        link = self.run(
            lambda: workflow.link_account(
                case.pk,
                account_to_link(data["external_id"]),
                actor=request.user,
                reason=data["reason"],
            ),
        )
        return Response(s.CaseAccountSerializer(link).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["cases"])
class CaseAccountUnlinkView(CaseOperationMixin, APIView):
    """Unlink an account (by its platform id) from the case, with a reason."""

    @extend_schema(request=s.UnlinkAccountInputSerializer, responses={204: None})
    def delete(self, request, pk: int, external_id: str):
        case = self.get_case()
        data = validated(s.UnlinkAccountInputSerializer, request)
        account = Account.objects.filter(external_id=external_id).first()
        if account is None:
            raise exceptions.NotFound("No such account.")
        self.run(
            lambda: workflow.unlink_account(
                case.pk,
                account,
                actor=request.user,
                reason=data["reason"],
                version=data.get("version"),
            )
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
