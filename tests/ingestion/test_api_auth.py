"""Who may use the alerts API: detector tokens only, each seeing only its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from ingestion.detectors import create_detector, revoke_detector, rotate_token
from ingestion.models import Alert, Batch, DetectorToken
from people.permissions import HasRole
from people.roles import ALL_ROLES
from tests.ingestion.conftest import assert_error_shape, make_alert


def assert_401(response) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_error_shape(response)
    assert response.json()["errors"][0]["field"] is None


def test_it_answers_401_without_a_token(client, db):
    response = client.post("/api/v1/alerts/", b"{}", content_type="application/json")
    assert_401(response)


@pytest.mark.parametrize(
    "header",
    ["Bearer dsr_unknown", "Bearer", "Bearer a b", "Basic dXNlcjpwdw==", "Bearer nonsense"],
)
def test_it_answers_401_to_a_bad_token(api, header):
    response = api.client.post(
        "/api/v1/alerts/",
        b"{}",
        content_type="application/json",
        headers={"Authorization": header},
    )
    assert_401(response)
    assert Batch.objects.count() == 0


def test_it_rejects_revoked_token(api, detector):
    revoke_detector("scanner")

    assert_401(api.post(make_alert("after-revoke")))
    assert Alert.objects.count() == 0


def test_a_rotated_out_token_works_until_its_grace_ends(api, detector):
    new = rotate_token("scanner", grace_hours=1)

    assert api.post(make_alert("old-in-grace")).status_code == 202
    assert api.post(make_alert("new"), token=new.token).status_code == 202

    DetectorToken.objects.filter(expires_at__isnull=False).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_401(api.post(make_alert("old-after-grace")))
    assert api.post(make_alert("new-still"), token=new.token).status_code == 202


def test_a_rotation_without_grace_ends_the_old_token_at_once(api, detector):
    rotate_token("scanner", grace_hours=0)

    assert_401(api.post(make_alert("old")))


def test_an_inactive_detector_is_refused(api, detector):
    detector.detector.active = False
    detector.detector.save()

    assert_401(api.post(make_alert("inactive")))


@pytest.mark.parametrize("roles", [(), ALL_ROLES])
def test_people_cannot_post_alerts_even_with_every_role(client, make_user, roles):
    user = make_user(*roles, is_superuser=True, is_staff=True)
    client.force_login(user)

    response = client.post("/api/v1/alerts/", b"{}", content_type="application/json")

    assert_401(response)


def test_people_cannot_read_batches(client, api, make_user):
    batch = api.post(make_alert("b")).json()["batch"]
    client.force_login(make_user("administrator", is_superuser=True))

    assert_401(client.get(f"/api/v1/alerts/batches/{batch}/"))


class AnyPersonView(APIView):
    """An endpoint that declares its roles and relies on the project's default
    authentication and permission classes."""

    allowed_roles = ALL_ROLES

    def get(self, request):
        return Response({"ok": True})


class RoleView(APIView):
    permission_classes = [HasRole]
    allowed_roles = ALL_ROLES

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("any/", AnyPersonView.as_view()), path("roles/", RoleView.as_view())]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("url", ["/any/", "/roles/"])
def test_a_detector_token_gets_403_on_other_endpoints(client, detector, url):
    response = client.get(url, headers={"Authorization": f"Bearer {detector.token}"})

    assert response.status_code == 403
    assert_error_shape(response)


@override_settings(ROOT_URLCONF=__name__)
def test_other_endpoints_still_serve_people(client, make_user):
    client.force_login(make_user("investigator"))

    assert client.get("/any/").status_code == 200
    assert client.get("/roles/").status_code == 200


def test_another_detectors_batch_is_not_found(api, db):
    other = create_detector("traffic", rate=0)
    batch = api.post(make_alert("mine")).json()["batch"]

    response = api.get(f"/api/v1/alerts/batches/{batch}/", token=other.token)

    assert response.status_code == 404
    assert_error_shape(response)


def test_another_detectors_alert_is_not_found(api, db):
    other = create_detector("traffic", rate=0)
    api.post(make_alert("mine"))

    response = api.get("/api/v1/alerts/lookup/", token=other.token, external_id="mine")

    assert response.status_code == 404
    assert_error_shape(response)


def test_it_answers_405_in_the_error_shape(api):
    response = api.get("/api/v1/alerts/")

    assert response.status_code == 405
    assert_error_shape(response)
