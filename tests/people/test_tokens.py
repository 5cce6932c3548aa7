from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.models import AuditEvent
from ingestion.models import Detector, DetectorToken
from people.tokens import (
    MAX_ACTIVE_PERSONAL_TOKENS,
    PersonalToken,
    TokenRefused,
    issue_personal_token,
)
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


def test_an_expired_token_is_refused_with_401_saying_it_expired(api, make_user):
    token, clear = PersonalToken.issue(make_user("investigator"), "old script")
    PersonalToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    response = bearer(api, clear).get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert error["message"].startswith("This token expired on ")
    assert "make a new one on your profile page" in error["message"]


def test_a_token_works_until_it_expires(api, make_user):
    token, clear = PersonalToken.issue(make_user("investigator"), "script", days=1)
    assert bearer(api, clear).get("/api/v1/cases/").status_code == 200
    PersonalToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert api.get("/api/v1/cases/").status_code == 401


def test_a_new_token_expires_after_the_default_days(make_user, settings):
    settings.PERSONAL_TOKEN_DEFAULT_DAYS = 90
    token, _ = issue_personal_token(make_user("lead"), "laptop")
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    event = AuditEvent.objects.get(verb="token.created")
    assert event.after == {"expires_at": token.expires_at.isoformat()}


def test_a_token_cannot_outlive_the_maximum(make_user, settings):
    settings.PERSONAL_TOKEN_MAX_DAYS = 30
    with pytest.raises(TokenRefused, match="from 1 to 30 days"):
        issue_personal_token(make_user("lead"), "forever", days=31)
    assert not PersonalToken.objects.exists()


def test_expired_tokens_do_not_count_against_the_limit(make_user):
    user = make_user("lead")
    for n in range(MAX_ACTIVE_PERSONAL_TOKENS):
        PersonalToken.issue(user, f"t{n}")
    PersonalToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    token, _ = issue_personal_token(user, "fresh")
    assert token.days_left == 90


@pytest.mark.django_db(transaction=True)
def test_tokens_made_before_expiries_get_one_relative_to_the_migration(make_user, settings):
    settings.PERSONAL_TOKEN_DEFAULT_DAYS = 60
    user = make_user("lead")
    executor = MigrationExecutor(connection)
    before = executor.migrate([("people", "0002_personal_tokens")])
    OldToken = before.apps.get_model("people", "PersonalToken")
    OldToken.objects.create(user_id=user.pk, name="old", prefix="dsp_old", token_hash="h" * 64)
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    token = PersonalToken.objects.get(name="old")
    assert abs(token.expires_at - (timezone.now() + timedelta(days=60))) < timedelta(minutes=1)


ATTACKER = "192.0.2.66"


def get_cases(client, *, token=None, address=ATTACKER):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/api/v1/cases/", headers=headers, REMOTE_ADDR=address)


def test_bad_personal_tokens_past_the_limit_get_429_with_retry_after(client, settings):
    settings.BAD_TOKEN_LIMIT = 3
    answers = [get_cases(client, token=f"dsp_not-a-real-token-{n}") for n in range(4)]

    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= settings.BAD_TOKEN_WINDOW_SECONDS
    [error] = refused.json()["errors"]
    assert (error["index"], error["field"]) == (None, None)
    assert error["message"].startswith("Too many bad tokens from this address.")


def test_a_valid_personal_token_from_the_same_address_still_works(client, make_user, settings):
    settings.BAD_TOKEN_LIMIT = 3
    _, clear = PersonalToken.issue(make_user("investigator"), "script")
    for n in range(5):
        get_cases(client, token=f"dsp_not-a-real-token-{n}")

    assert get_cases(client, token=clear).status_code == 200
    assert get_cases(client, token="dsp_still-not-real").status_code == 429


def test_a_person_signed_in_from_the_same_address_is_not_throttled(client, make_user, settings):
    settings.BAD_TOKEN_LIMIT = 3
    for n in range(5):
        get_cases(client, token=f"dsp_not-a-real-token-{n}")
    client.force_login(make_user("investigator"))

    assert get_cases(client).status_code == 200


def test_revoked_and_expired_personal_tokens_count_as_bad(client, make_user, settings):
    settings.BAD_TOKEN_LIMIT = 2
    revoked, revoked_clear = PersonalToken.issue(make_user("lead"), "old")
    expired, expired_clear = PersonalToken.issue(make_user("lead"), "older")
    PersonalToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    PersonalToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())

    assert get_cases(client, token=revoked_clear).status_code == 401
    assert get_cases(client, token=expired_clear).status_code == 401
    assert get_cases(client, token=revoked_clear).status_code == 429
    assert get_cases(client, token=expired_clear, address="198.51.100.20").status_code == 401
