"""What every cases API view shares: authentication, roles, refusals mapped to HTTP.

Reads need a case-working role; changes are decided by ``cases.workflow``,
which refuses (and audits) what a role may not do; ``core.api`` answers its
refusals (403, or 409 for a stale version). Detector tokens are recognised
by ``PersonalTokenAuthentication`` and refused (403) on every cases endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from cases.api import serializers as s
from cases.models import Case
from cases.queries import case_for
from core.api import validated
from people.api_auth import PersonalTokenAuthentication
from people.permissions import HasRole
from people.roles import CASE_READERS

# Person tokens first: its Bearer challenge makes an unauthenticated call a 401.
AUTHENTICATION = [PersonalTokenAuthentication, SessionAuthentication]


# Routers match only digits as a row's id: anything else is a 404 before any
# query, never an integer conversion failing inside a view.
INTEGER_ID = "[0-9]+"


class CaseWorkerAPI:
    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = CASE_READERS
    lookup_value_regex = INTEGER_ID


def drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A model or workflow validation error as the API's 400, field by field."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class CaseOperationMixin(CaseWorkerAPI):
    """Runs one workflow call for a visible case; its validation errors are 400s."""

    def get_case(self):
        case = case_for(self.request.user, self.kwargs["pk"])
        if case is None:
            raise exceptions.NotFound("No such case.")
        return case

    def case_rows(self, model: type[Model]) -> QuerySet:
        """``model``'s rows of the case in the URL; none while the schema is generated."""
        if getattr(self, "swagger_fake_view", False):
            return model.objects.none()
        return model.objects.filter(case=self.get_case())

    def change_case(
        self,
        serializer_class: type[Serializer],
        change: Callable[[Case, dict[str, Any]], object],
    ) -> Response:
        """Validates the body, applies ``change(case, data)`` (which passes on the
        ``version`` the caller sent) and answers with the case as it now is."""
        case = self.get_case()
        data = validated(serializer_class, self.request)
        self.run(lambda: change(case, data))
        return Response(case_detail_data(self, case))

    def run(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc


def case_detail_data(view, case):
    fresh = case_for(view.request.user, case.pk)
    return s.CaseDetailSerializer(fresh, context={"request": view.request}).data
