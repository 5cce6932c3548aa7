"""Platform accounts and indicators, read-only; the cases they name are filtered by visibility."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets

from cases.api import serializers as s
from cases.api.base import CaseWorkerAPI
from cases.api.pagination import IdCursorPagination
from cases.models import Account, AccountIndicator, CaseAccount, Indicator
from cases.queries import SHARE_COUNT_CAP, SubqueryCount
from cases.visibility import restricted_q, visible_cases


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
