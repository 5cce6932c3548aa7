import pytest
from django.utils import timezone

from ingestion.models import Detector, DetectorToken
from people.tokens import PersonalToken
from tests.cases.factories import make_case

pytestmark = pytest.mark.django_db


def bearer(api, token):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_a_personal_token_acts_with_its_owners_roles(api, make_user):
    user = make_user("investigator")
    case = make_case()
    _, clear = PersonalToken.issue(user, "script")
    response = bearer(api, clear).get("/api/v1/cases/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [case.pk]
    response = api.post(f"/api/v1/cases/{case.pk}/notes/", {"body": "from a script"})
    assert response.status_code == 201
    assert response.json()["author"] == user.username


def test_it_records_the_last_use(api, make_user):
    token, clear = PersonalToken.issue(make_user("manager"), "laptop")
    assert token.last_used_at is None
    bearer(api, clear).get("/api/v1/cases/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_rejects_a_revoked_token(api, make_user):
    token, clear = PersonalToken.issue(make_user("lead"), "old")
    PersonalToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    response = bearer(api, clear).get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_rejects_an_unknown_token_and_a_deactivated_owner(api, make_user):
    assert bearer(api, "dsp_not-a-real-token").get("/api/v1/cases/").status_code == 401
    user = make_user("lead")
    _, clear = PersonalToken.issue(user, "t")
    user.is_active = False
    user.save()
    assert bearer(api, clear).get("/api/v1/cases/").status_code == 401


def test_a_token_of_a_person_without_a_case_role_gets_403(api, make_user):
    _, clear = PersonalToken.issue(make_user("administrator"), "t")
    assert bearer(api, clear).get("/api/v1/cases/").status_code == 403


def test_a_detector_token_gets_403_on_the_cases_api(api):
    detector = Detector.objects.create(name="cot")
    _, clear = DetectorToken.issue(detector)
    case = make_case()
    bearer(api, clear)
    for url in ("/api/v1/cases/", f"/api/v1/cases/{case.pk}/", "/api/v1/accounts/"):
        assert api.get(url).status_code == 403
    assert api.post(f"/api/v1/cases/{case.pk}/notes/", {"body": "x"}).status_code == 403


def test_a_personal_token_cannot_post_alerts(api, make_user):
    _, clear = PersonalToken.issue(make_user("lead"), "t")
    response = bearer(api, clear).post("/api/v1/alerts/", {}, format="json")
    assert response.status_code in (401, 403)


def test_a_detector_token_is_told_why_on_the_cases_and_actions_apis(api):
    _, clear = DetectorToken.issue(Detector.objects.create(name="cot"))
    bearer(api, clear)
    for url in ("/api/v1/cases/", "/api/v1/actions/"):
        response = api.get(url)
        assert response.status_code == 403
        assert response.json()["errors"][0]["message"] == (
            "A detector token may only use the alerts endpoints."
        )
