"""REST ``/api/v1/actions/``: list, read, propose, and the steps approve, reject,
withdraw, revert, retry; and ``/api/v1/actions/ledger``, the signed enforcement
ledger (managers, ``enforcement.ledger``). Same rules as the pages: every step is a call to
``enforcement.workflow``, which decides and audits (refusals included).

Answers (``core.api`` maps the workflow's refusals): 403 when the actor may
not take the step, 409 when the action is not in a state that allows it, 400
for bad input.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action as route
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.base import AUTHENTICATION, INTEGER_ID
from cases.api.pagination import CheckedCursorPagination
from cases.visibility import restricted_q
from core import text_limits as limits
from core.api import JsonErrors, validated
from core.text_limits import api_text
from enforcement import ledger, workflow
from enforcement.filters import ActionFilter, LedgerFilter
from enforcement.models import Action, ActionKind, ActionTarget, TargetState
from enforcement.reading import progress_report
from people.permissions import HasRole
from people.roles import ALL_ROLES, CASE_READERS, MANAGERS


class TargetSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="target_type")

    class Meta:
        model = ActionTarget
        fields = [
            "id",
            "type",
            "value",
            "state",
            "is_protected",
            "attempts",
            "reference",
            "error",
            "executed_at",
            "reverted_at",
        ]
        read_only_fields = fields


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    label = serializers.CharField()
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Targets in each target state."
    )
    finished = serializers.BooleanField()


class ActionSerializer(serializers.ModelSerializer):
    proposed_by = serializers.CharField(source="proposed_by.get_username")
    approved_by = serializers.CharField(
        source="approved_by.get_username", default=None, allow_null=True
    )
    second_approved_by = serializers.CharField(
        source="second_approved_by.get_username", default=None, allow_null=True
    )
    targets = serializers.IntegerField(source="target_count", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Action
        fields = [
            "id",
            "case",
            "kind",
            "state",
            "params",
            "notice",
            "rationale",
            "expires_at",
            "approvals_required",
            "proposed_by",
            "proposed_at",
            "approved_by",
            "approved_at",
            "approval_comment",
            "second_approved_by",
            "second_approved_at",
            "decision_reason",
            "paused_reason",
            "targets",
            "progress",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, action: Action) -> dict:
        # A list passes every row's counts, read in one query (``progress_counts``).
        counts = self.context.get("progress_counts", {}).get(action.pk)
        report = progress_report(action, counts)
        return {k: report[k] for k in ("total", "done", "failed", "label", "counts", "finished")}


class TargetSpecSerializer(serializers.Serializer):
    type = serializers.CharField()
    value = serializers.CharField()


class ProposeSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    targets = TargetSpecSerializer(many=True, required=False, allow_null=True, default=None)
    params = serializers.DictField(required=False, default=dict)
    notice = api_text(limits.NOTICE, "The notice", required=False, allow_blank=True, default="")
    rationale = api_text(
        limits.RATIONALE, "The rationale", required=False, allow_blank=True, default=""
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CommentSerializer(serializers.Serializer):
    comment = api_text(
        limits.DECISION,
        "The comment",
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional when approving; a rejection needs one (the proposer reads it).",
    )


class ReasonSerializer(serializers.Serializer):
    reason = api_text(
        limits.DECISION,
        "The reason",
        required=False,
        allow_blank=True,
        default="",
        help_text="Why: withdrawing and reverting need one; resuming does not.",
    )


class RevertSerializer(ReasonSerializer):
    targets = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_null=True, default=None
    )


class TargetPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TargetSerializer(many=True)


class ActionPagination(CheckedCursorPagination):
    ordering = "-id"
    page_size = 50


class TargetPagination(CheckedCursorPagination):
    ordering = "id"
    page_size = 500


class ActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    lookup_value_regex = INTEGER_ID
    serializer_class = ActionSerializer
    pagination_class = ActionPagination
    filterset_class = ActionFilter

    # Steps let every role in: the workflow refuses (and audits) who may not.
    STEPS = ("approve", "reject", "withdraw", "revert", "retry")

    @property
    def allowed_roles(self):
        return ALL_ROLES if self.action in (*self.STEPS, "create") else CASE_READERS

    def get_queryset(self):
        return (
            Action.objects.filter(restricted_q(self.request.user, "case__"))
            .select_related("proposed_by", "approved_by", "second_approved_by")
            .annotate(target_count=Count("targets", filter=~Q(targets__state=TargetState.EXCLUDED)))
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        counts = workflow.progress_by_action([action.pk for action in page])
        context = {**self.get_serializer_context(), "progress_counts": counts}
        data = ActionSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def _visible(self, pk) -> Action:
        action = self.get_queryset().filter(pk=pk).first()
        if action is None:
            raise exceptions.NotFound("No such action.")
        return action

    def _answer(self, pk) -> Response:
        return Response(ActionSerializer(self._visible(pk)).data)

    @extend_schema(request=ProposeSerializer, responses={201: ActionSerializer})
    def create(self, request):
        data = validated(ProposeSerializer, request)
        targets = data["targets"]
        action = workflow.propose_action(
            data["case"],
            actor=request.user,
            kind=data["kind"],
            targets=None if targets is None else [(t["type"], t["value"]) for t in targets],
            params=data["params"],
            notice=data["notice"],
            rationale=data["rationale"],
            expires_at=data["expires_at"],
        )
        return Response(
            ActionSerializer(self._visible(action.pk)).data, status=status.HTTP_201_CREATED
        )

    def _step(self, pk, call):
        # The workflow answers an action of a case the caller may not see as no
        # action at all (404), and audits the refusal.
        call()
        return self._answer(pk)

    @extend_schema(request=CommentSerializer, responses=ActionSerializer)
    @route(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = validated(CommentSerializer, request)
        return self._step(
            pk,
            lambda: workflow.approve_action(int(pk), actor=request.user, comment=data["comment"]),
        )

    @extend_schema(request=CommentSerializer, responses=ActionSerializer)
    @route(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = validated(CommentSerializer, request)
        return self._step(
            pk, lambda: workflow.reject_action(int(pk), actor=request.user, comment=data["comment"])
        )

    @extend_schema(request=ReasonSerializer, responses=ActionSerializer)
    @route(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        data = validated(ReasonSerializer, request)
        return self._step(
            pk, lambda: workflow.withdraw_action(int(pk), actor=request.user, reason=data["reason"])
        )

    @extend_schema(request=RevertSerializer, responses=ActionSerializer)
    @route(detail=True, methods=["post"])
    def revert(self, request, pk=None):
        data = validated(RevertSerializer, request)
        return self._step(
            pk,
            lambda: workflow.revert_action(
                int(pk), actor=request.user, target_ids=data["targets"], reason=data["reason"]
            ),
        )

    @extend_schema(request=ReasonSerializer, responses=ActionSerializer)
    @route(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        data = validated(ReasonSerializer, request)
        return self._step(
            pk, lambda: workflow.retry_action(int(pk), actor=request.user, reason=data["reason"])
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state", str, enum=TargetState.values, description="Only targets in this state."
            ),
            OpenApiParameter("cursor", str, description="The page after or before a previous."),
        ],
        responses=TargetPageSerializer,
    )
    @route(detail=True, methods=["get"], serializer_class=TargetSerializer)
    def targets(self, request, pk=None):
        action = self._visible(pk)
        queryset = action.targets.all()
        state = request.query_params.get("state")
        if state:
            queryset = queryset.filter(state=state)
        paginator = TargetPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(TargetSerializer(page, many=True).data)


_LEDGER_TYPES = {"since": OpenApiTypes.DATETIME, "until": OpenApiTypes.DATETIME, "case": int}
_LEDGER_BODY = OpenApiResponse(
    response=OpenApiTypes.STR,
    description="The ledger: one record per action target, the signed manifest as the last "
    'line (docs/audit-exports.md, "The enforcement ledger").',
)


class LedgerView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = MANAGERS
    content_negotiation_class = JsonErrors

    @extend_schema(
        operation_id="v1_actions_ledger",
        summary="The enforcement ledger of a period, signed",
        parameters=[
            OpenApiParameter(
                "output", str, enum=["csv", "jsonl"], description="The file format (default jsonl)."
            ),
            *(
                OpenApiParameter(
                    name,
                    _LEDGER_TYPES.get(name, str),
                    enum=[choice for choice, _ in field.extra["choices"]]
                    if "choices" in field.extra
                    else None,
                    description=str(field.extra.get("help_text") or field.label or name),
                )
                for name, field in LedgerFilter.base_filters.items()
            ),
        ],
        responses={(200, "text/csv"): _LEDGER_BODY, (200, "application/x-ndjson"): _LEDGER_BODY},
    )
    def get(self, request):
        started = ledger.start_ledger(request.query_params, actor=request.user)
        response = StreamingHttpResponse(ledger.stream(started), content_type=started.content_type)
        response["Content-Disposition"] = f'attachment; filename="{started.filename}"'
        response["Dossier-Export-Rows"] = str(started.rows)
        response["Dossier-Export-Event"] = str(started.event_sequence)
        # The manifest travels as the file's last line (its trailer).
        response["Dossier-Manifest"] = "trailer"
        return response


__all__ = ["ActionViewSet", "LedgerView"]
