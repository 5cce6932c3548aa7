"""Who may use the alerts API: detector tokens only, each seeing only its own."""

from __future__ import annotations

import time
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


ATTACKER = "192.0.2.66"


@pytest.fixture
def bad_token_limit(settings):
    settings.BAD_TOKEN_LIMIT = 3
    settings.BAD_TOKEN_WINDOW_SECONDS = 300
    return 3


def bad_posts(api, times: int, address: str = ATTACKER):
    return [
        api.client.post(
            "/api/v1/alerts/",
            make_alert(f"bad-{n}"),
            content_type="application/json",
            headers={"Authorization": f"Bearer dsr_unknown-{n}"},
            REMOTE_ADDR=address,
        )
        for n in range(times)
    ]


def test_bad_detector_tokens_past_the_limit_get_429_with_retry_after(api, bad_token_limit):
    *allowed, refused = bad_posts(api, bad_token_limit + 1)

    for response in allowed:
        assert_401(response)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 300
    assert_error_shape(refused)
    error = refused.json()["errors"][0]
    assert (error["index"], error["field"]) == (None, None)
    assert error["message"].startswith("Too many bad tokens from this address.")
    assert Batch.objects.count() == 0


def test_a_valid_detector_from_the_same_address_still_gets_202(client, api, bad_token_limit):
    bad_posts(api, bad_token_limit + 2)

    response = client.post(
        "/api/v1/alerts/",
        make_alert("valid-after-bad"),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
        REMOTE_ADDR=ATTACKER,
    )

    assert response.status_code == 202
    assert bad_posts(api, 1)[0].status_code == 429  # the bad ones stay refused


def test_bad_tokens_from_another_address_still_get_401(api, bad_token_limit):
    bad_posts(api, bad_token_limit + 1, address=ATTACKER)

    assert_401(bad_posts(api, 1, address="198.51.100.20")[0])


def test_revoked_tokens_and_malformed_headers_count_as_bad_tokens(client, api, bad_token_limit):
    revoke_detector("scanner")
    for header in (f"Bearer {api.token}", "Bearer a b", f"Bearer {api.token}"):
        response = client.get(
            "/api/v1/alerts/lookup/",
            {"external_id": "x"},
            headers={"Authorization": header},
            REMOTE_ADDR=ATTACKER,
        )
        assert_401(response)

    response = client.get(
        "/api/v1/alerts/lookup/",
        {"external_id": "x"},
        headers={"Authorization": "Bearer a b"},
        REMOTE_ADDR=ATTACKER,
    )
    assert response.status_code == 429
    assert_error_shape(response)


def test_requests_without_a_token_are_not_counted_or_throttled(client, api, bad_token_limit):
    for _ in range(bad_token_limit + 2):
        response = client.post(
            "/api/v1/alerts/", b"{}", content_type="application/json", REMOTE_ADDR=ATTACKER
        )
        assert_401(response)
    assert_401(bad_posts(api, 1)[0])


def test_the_limit_ends_with_its_window(api, settings):
    settings.BAD_TOKEN_LIMIT = 1
    settings.BAD_TOKEN_WINDOW_SECONDS = 1
    while True:  # start at the beginning of a one-second window, so both land in it
        now = time.time()
        if now % 1 < 0.5:
            break
        time.sleep(1 - now % 1)
    first, second = bad_posts(api, 2)
    assert (first.status_code, second.status_code) == (401, 429)
    assert second["Retry-After"] == "1"

    time.sleep(1 - time.time() % 1 + 0.01)

    assert_401(bad_posts(api, 1)[0])


def test_a_limit_of_zero_never_throttles(api, settings):
    settings.BAD_TOKEN_LIMIT = 0

    for response in bad_posts(api, 25):
        assert_401(response)


def test_bad_tokens_get_401_when_the_counting_store_is_down(api, bad_token_limit, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    for response in bad_posts(api, bad_token_limit + 2):
        assert_401(response)
