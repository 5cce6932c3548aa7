import pytest
from django.utils import timezone

from audit.models import AuditEvent
from people.tokens import PersonalToken, hash_token

pytestmark = pytest.mark.django_db


def test_it_shows_a_new_token_once_and_stores_only_its_hash(client, make_user):
    user = make_user("investigator")
    client.force_login(user)
    response = client.post("/accounts/profile/", {"name": "notebook"})
    assert response.status_code == 200
    clear = response.context["new_token"]
    assert clear.startswith("dsp_")
    assert clear in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = PersonalToken.objects.get(user=user)
    assert token.token_hash == hash_token(clear)
    assert clear not in {token.name, token.prefix, token.token_hash}
    assert clear not in client.get("/accounts/profile/").content.decode()
    assert AuditEvent.objects.filter(verb="token.created", actor=user).count() == 1


def test_it_shows_field_errors_next_to_the_field(client, make_user):
    client.force_login(make_user("lead"))
    response = client.post("/accounts/profile/", {"name": ""})
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not PersonalToken.objects.exists()


def test_it_revokes_a_token_of_its_owner_only(client, make_user):
    owner = make_user("investigator")
    token, _ = PersonalToken.issue(owner, "laptop")
    client.force_login(make_user("investigator"))
    assert client.post(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 404
    client.force_login(owner)
    response = client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "revoked" in client.get("/accounts/profile/").content.decode()
    assert AuditEvent.objects.filter(verb="token.revoked").count() == 1


def test_every_role_has_a_profile_but_a_person_without_one_is_refused(client, make_user):
    client.force_login(make_user("administrator"))
    assert client.get("/accounts/profile/").status_code == 200
    client.force_login(make_user(is_superuser=True, is_staff=True))
    assert client.get("/accounts/profile/").status_code == 403


def test_the_navigation_links_to_the_profile(client, make_user):
    client.force_login(make_user("investigator"))
    assert 'href="/accounts/profile/"' in client.get("/cases/").content.decode()


def test_profile_query_count_does_not_grow_with_tokens(
    client, make_user, django_assert_num_queries
):
    user = make_user("investigator")
    client.force_login(user)
    PersonalToken.issue(user, "first")
    with django_assert_num_queries(PROFILE_QUERIES):
        client.get("/accounts/profile/")
    for n in range(10):
        PersonalToken.issue(user, f"t{n}")
    with django_assert_num_queries(PROFILE_QUERIES):
        response = client.get("/accounts/profile/")
    assert len(response.context["tokens"]) == 11


# session, user, roles, tokens, authenticator app, the navigation's unread notifications
PROFILE_QUERIES = 6


def test_a_person_chooses_how_long_a_token_lasts_and_sees_when_it_expires(client, make_user):
    user = make_user("investigator")
    client.force_login(user)
    response = client.post("/accounts/profile/", {"name": "notebook", "days": "12"})
    assert response.status_code == 200
    page = client.get("/accounts/profile/").content.decode()
    assert "expires in 12 days" in page
    assert PersonalToken.objects.get(user=user).days_left == 12


def test_the_profile_refuses_a_token_longer_than_the_maximum(client, make_user, settings):
    settings.PERSONAL_TOKEN_MAX_DAYS = 30
    client.force_login(make_user("investigator"))
    response = client.post("/accounts/profile/", {"name": "forever", "days": "31"})
    assert response.status_code == 400
    assert "less than or equal to 30" in response.content.decode()
    assert not PersonalToken.objects.exists()


def test_the_profile_shows_an_expired_token_as_expired(client, make_user):
    user = make_user("investigator")
    token, _ = PersonalToken.issue(user, "old")
    PersonalToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    client.force_login(user)
    page = client.get("/accounts/profile/").content.decode()
    assert "(expired)" in page
    assert "expires in" not in page
