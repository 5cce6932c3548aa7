"""An API endpoint that declares no roles admits nobody, whatever roles they hold."""

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from people.roles import ALL_ROLES

pytestmark = pytest.mark.django_db


class Undeclared(APIView):
    def get(self, request):
        return Response({"ok": True})


class Declared(Undeclared):
    allowed_roles = ALL_ROLES


def _get(view, user):
    request = APIRequestFactory().get("/api/v1/anything/")
    force_authenticate(request, user=user)
    return view.as_view()(request)


def test_an_endpoint_without_roles_refuses_a_person_holding_every_role(make_user):
    everyone = make_user(*ALL_ROLES, is_superuser=True, is_staff=True)
    assert _get(Undeclared, everyone).status_code == 403


def test_an_endpoint_that_declares_its_roles_admits_them(make_user):
    assert _get(Declared, make_user("investigator")).status_code == 200


def test_a_person_with_no_role_is_refused_by_a_declared_endpoint(make_user):
    assert _get(Declared, make_user()).status_code == 403
