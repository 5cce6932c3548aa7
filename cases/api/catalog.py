"""Platform accounts and indicators; the cases they name are filtered by visibility.

Read-only but for an account's protected flag, which leads set through the workflow.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases import workflow
from cases.api import serializers as s
from cases.api.base import CaseWorkerAPI, drf_validation_error
from cases.api.pagination import IdCursorPagination
from cases.models import Account, AccountIndicator, CaseAccount, Indicator
from cases.queries import SHARE_COUNT_CAP, SubqueryCount, case_for
from cases.visibility import restricted_q, visible_cases
from core.api import validated


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
        if self.action == "protection":
            return s.ProtectionInputSerializer
        return s.AccountDetailSerializer if self.action == "retrieve" else s.AccountSerializer

    @extend_schema(request=s.ProtectionInputSerializer, responses=s.AccountSerializer)
    @action(detail=True, methods=["post"])
    def protection(self, request, pk=None):
        """A lead flags the account protected (or lifts the flag), with a reason."""
        account = self.get_object()
        data = validated(s.ProtectionInputSerializer, request)
        case = None
        if data.get("case") is not None:
            case = case_for(request.user, data["case"])
            if case is None:
                raise exceptions.NotFound("No such case.")
        try:
            account = workflow.set_account_protected(
                account, data["protected"], actor=request.user, reason=data["reason"], case=case
            )
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        return Response(s.AccountSerializer(account, context={"request": request}).data)


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
