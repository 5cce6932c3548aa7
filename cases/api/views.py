"""Cases API views: thin wrappers over the visibility rule, the FilterSet and the workflow.

Reads need a case-working role; changes are decided by ``cases.workflow``,
which refuses (403, audited here) what a role may not do. Detector tokens are
recognised and refused (403) on every endpoint of this module.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import workflow
from cases.api import serializers as s
from cases.api.pagination import CaseKeysetPagination, IdCursorPagination
from cases.filters import CaseFilter
from cases.guards import StaleCase, based_on, record_refusal
from cases.models import Account, AccountIndicator, CaseAccount, Evidence, Indicator, Note
from cases.queries import SHARE_COUNT_CAP, SubqueryCount, case_for, queue_queryset
from cases.views.evidence import evidence_response
from cases.visibility import restricted_q, visible_cases
from ingestion.auth import BearerAuthentication, NotDetector
from people.api_auth import PersonalTokenAuthentication
from people.navigation import CASE_WORKERS
from people.permissions import HasRole

# Person tokens first: its Bearer challenge makes an unauthenticated call a 401.
AUTHENTICATION = [PersonalTokenAuthentication, SessionAuthentication, BearerAuthentication]


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The case changed since the version you sent."
    default_code = "stale"


class CaseWorkerAPI:
    authentication_classes = AUTHENTICATION
    permission_classes = [NotDetector, HasRole]
    allowed_roles = CASE_WORKERS


def _django_errors(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class CaseOperationMixin(CaseWorkerAPI):
    """Runs one workflow call for a visible case and maps its refusals to HTTP."""

    operation: str = ""
    checks_version: bool = False

    def get_case(self):
        case = case_for(self.request.user, self.kwargs["pk"])
        if case is None:
            raise exceptions.NotFound("No such case.")
        return case

    def run(self, case, call, version: int | None = None):
        try:
            if self.checks_version and version is not None:
                with based_on(case.pk, version):
                    return call()
            return call()
        except StaleCase as exc:
            raise Conflict(str(exc)) from exc
        except workflow.OperationRefused as exc:
            record_refusal(self.request.user, case, self.operation, str(exc))
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc


@extend_schema(tags=["cases"])
class CaseViewSet(CaseWorkerAPI, viewsets.ReadOnlyModelViewSet):
    """Cases the caller may see, filtered like the queue (same parameters)."""

    filterset_class = CaseFilter
    pagination_class = CaseKeysetPagination

    def get_queryset(self):
        return queue_queryset(self.request.user)

    def get_serializer_class(self):
        return s.CaseDetailSerializer if self.action == "retrieve" else s.CaseSerializer


def _case_serializer(view, case):
    fresh = case_for(view.request.user, case.pk)
    return s.CaseDetailSerializer(fresh, context={"request": view.request}).data


@extend_schema(tags=["cases"])
class CaseNotesView(CaseOperationMixin, generics.ListCreateAPIView):
    serializer_class = s.NoteSerializer
    pagination_class = IdCursorPagination
    operation = "add_note"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Note.objects.none()
        return Note.objects.filter(case=self.get_case()).select_related("author")

    def create(self, request, *args, **kwargs):
        case = self.get_case()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data["body"]
        note = self.run(case, lambda: workflow.add_note(case.pk, body, actor=request.user))
        return Response(self.get_serializer(note).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["cases"])
class CaseEvidenceView(CaseOperationMixin, generics.ListCreateAPIView):
    """Evidence metadata; POST a multipart ``file`` or JSON ``title`` + ``content``."""

    serializer_class = s.EvidenceSerializer
    pagination_class = IdCursorPagination
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    operation = "add_evidence"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Evidence.objects.none()
        return (
            Evidence.objects.filter(case=self.get_case())
            .select_related("created_by")
            .defer("content", "data")
        )

    @extend_schema(request=s.EvidenceInputSerializer, responses={201: s.EvidenceSerializer})
    def post(self, request, *args, **kwargs):
        case = self.get_case()
        serializer = s.EvidenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
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
            item = self.run(case, call)
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
class CaseTransitionsView(CaseOperationMixin, APIView):
    """GET what the caller may do from here; POST a status change."""

    operation = "transition"
    checks_version = True

    @extend_schema(responses=s.TransitionsSerializer)
    def get(self, request, pk: int):
        case = self.get_case()
        allowed = workflow.allowed_transitions(case, request.user)
        return Response({"status": case.status, "version": case.version, "allowed": allowed})

    @extend_schema(request=s.TransitionInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        case = self.get_case()
        serializer = s.TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self.run(
            case,
            lambda: workflow.transition(
                case.pk,
                data["to_status"],
                actor=request.user,
                reason=data["reason"],
                resolution=data.get("resolution") or None,
                level=data.get("level") or None,
            ),
            data.get("version"),
        )
        return Response(_case_serializer(self, case))


@extend_schema(tags=["cases"])
class CaseAssignView(CaseOperationMixin, APIView):
    operation = "assign"
    checks_version = True

    @extend_schema(request=s.AssignInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        case = self.get_case()
        serializer = s.AssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        name = data["assignee"].strip()
        if name == "me":
            assignee = request.user
        elif not name:
            assignee = None
        else:
            assignee = get_user_model().objects.filter(username=name, is_active=True).first()
            if assignee is None:
                raise exceptions.ValidationError({"assignee": f"No active person named {name!r}."})
        self.run(
            case,
            lambda: workflow.assign(case.pk, assignee, actor=request.user, reason=data["reason"]),
            data.get("version"),
        )
        return Response(_case_serializer(self, case))


@extend_schema(tags=["cases"])
class CaseSeverityView(CaseOperationMixin, APIView):
    operation = "set_severity"
    checks_version = True

    @extend_schema(request=s.SeverityInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        case = self.get_case()
        serializer = s.SeverityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self.run(
            case,
            lambda: workflow.set_severity(
                case.pk, data["severity"], actor=request.user, reason=data["reason"]
            ),
            data.get("version"),
        )
        return Response(_case_serializer(self, case))


@extend_schema(tags=["cases"])
class CaseAttributionView(CaseOperationMixin, APIView):
    operation = "set_attribution"
    checks_version = True

    @extend_schema(request=s.AttributionInputSerializer, responses=s.CaseDetailSerializer)
    def post(self, request, pk: int):
        case = self.get_case()
        serializer = s.AttributionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self.run(
            case,
            lambda: workflow.set_attribution(
                case.pk,
                suspected_actor=data["actor"],
                confidence=data["confidence"],
                rationale=data["rationale"],
                actor=request.user,
            ),
            data.get("version"),
        )
        return Response(_case_serializer(self, case))


@extend_schema(tags=["cases"])
class CaseAccountsView(CaseOperationMixin, generics.ListAPIView):
    """The case's accounts with why each is linked; POST links one (with a reason)."""

    serializer_class = s.CaseAccountSerializer
    pagination_class = IdCursorPagination
    operation = "link_account"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CaseAccount.objects.none()
        return CaseAccount.objects.filter(case=self.get_case()).select_related(
            "account", "linked_by"
        )

    @extend_schema(request=s.LinkAccountInputSerializer, responses={201: s.CaseAccountSerializer})
    def post(self, request, pk: int):
        case = self.get_case()
        serializer = s.LinkAccountInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = Account.objects.filter(external_id=data["external_id"].strip()).first()
        if account is None:
            raise exceptions.ValidationError({"external_id": "No platform account has this id."})
        link = self.run(
            case,
            lambda: workflow.link_account(
                case.pk, account, actor=request.user, reason=data["reason"]
            ),
        )
        return Response(s.CaseAccountSerializer(link).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["cases"])
class CaseAccountUnlinkView(CaseOperationMixin, APIView):
    """Unlink an account (by its platform id) from the case, with a reason."""

    operation = "unlink_account"
    checks_version = True

    @extend_schema(request=s.UnlinkAccountInputSerializer, responses={204: None})
    def delete(self, request, pk: int, external_id: str):
        case = self.get_case()
        serializer = s.UnlinkAccountInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = Account.objects.filter(external_id=external_id).first()
        if account is None:
            raise exceptions.NotFound("No such account.")
        self.run(
            case,
            lambda: workflow.unlink_account(
                case.pk, account, actor=request.user, reason=data["reason"]
            ),
            data.get("version"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["accounts"])
class AccountViewSet(CaseWorkerAPI, viewsets.ReadOnlyModelViewSet):
    """Platform accounts; a detail lists only the cases the caller may see."""

    pagination_class = IdCursorPagination
    filterset_fields = {
        "external_id": ["exact"],
        "organization_id": ["exact"],
        "email_domain": ["exact"],
        "is_protected": ["exact"],
        "enforcement_state": ["exact"],
    }

    def get_queryset(self):
        queryset = Account.objects.all()
        if self.action == "retrieve":
            user = self.request.user
            links = CaseAccount.objects.filter(restricted_q(user, "case__")).select_related(
                "linked_by"
            )
            indicators = Indicator.objects.order_by("type", "value")
            queryset = queryset.prefetch_related(
                Prefetch("case_links", links.order_by("-case_id"), to_attr="visible_links"),
                Prefetch("indicators", indicators, to_attr="indicator_list"),
            )
        return queryset

    def get_serializer_class(self):
        return s.AccountDetailSerializer if self.action == "retrieve" else s.AccountSerializer


@extend_schema(tags=["indicators"])
class IndicatorViewSet(CaseWorkerAPI, viewsets.ReadOnlyModelViewSet):
    """Indicators with how many accounts carry each (counted up to 1000)."""

    pagination_class = IdCursorPagination
    filterset_fields = {"type": ["exact"], "value": ["exact"], "is_too_common": ["exact"]}

    def get_queryset(self):
        accounts = AccountIndicator.objects.filter(indicator=OuterRef("pk")).values("id")[
            :SHARE_COUNT_CAP
        ]
        return Indicator.objects.annotate(shared_accounts=SubqueryCount(accounts))

    def get_serializer_class(self):
        return s.IndicatorDetailSerializer if self.action == "retrieve" else s.IndicatorSerializer

    def get_object(self):
        indicator = super().get_object()
        indicator.account_list = list(
            Account.objects.filter(indicator_links__indicator=indicator)
            .order_by("external_id")
            .values_list("external_id", flat=True)[:SHARE_COUNT_CAP]
        )
        indicator.case_list = list(
            visible_cases(self.request.user)
            .filter(account_links__account__indicator_links__indicator=indicator)
            .order_by("-id")
            .values_list("id", flat=True)
            .distinct()[:SHARE_COUNT_CAP]
        )
        return indicator
