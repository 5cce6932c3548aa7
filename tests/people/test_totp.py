import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from people.second_factor import CODE_ATTEMPTS_PER_SIGN_IN, THROTTLED
from people.tokens import PersonalToken

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    """Wrong codes are refused at once; one test below puts the throttle back."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the person's app shows now (or so many 30-second steps later)."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{value:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    right = {code_for(device, step) for step in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def app_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def give_password(client, username, next_url=None):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def sign_in_with_code(client, user, device, next_url=None):
    response = give_password(client, user.username, next_url)
    assert response.url.startswith("/accounts/login/code/")
    return client.post(response.url, {"code": code_for(device), "next": next_url or ""})


def test_setting_up_shows_a_qr_code_and_the_secret_and_needs_a_code(client, make_user):
    user = make_user("investigator", username="ivy")
    give_password(client, "ivy")
    assert client.post("/accounts/profile/two-factor/", {"step": "start"}).status_code == 302
    page = client.get("/accounts/profile/two-factor/").content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert "<svg" in page and "<path" in page
    secret = page.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    assert secret == device.config_url.split("secret=")[1].split("&")[0]

    wrong = client.post("/accounts/profile/two-factor/", {"code": wrong_code_for(device)})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    right = client.post("/accounts/profile/two-factor/", {"code": code_for(device)})
    assert right.url == "/accounts/profile/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert AuditEvent.objects.filter(verb="totp.enabled", actor=user).count() == 1
    assert "On: signing in asks for a code" in client.get("/accounts/profile/").content.decode()


def test_signing_in_with_an_app_asks_for_the_code_before_signing_in(client, make_user):
    user = make_user("investigator", username="ivy")
    device = app_for(user)
    response = give_password(client, "ivy")
    assert response.url == "/accounts/login/code/"
    assert "_auth_user_id" not in client.session
    assert client.get("/cases/").url.startswith("/accounts/login/")
    assert "Two-factor sign-in" in client.get("/accounts/login/code/").content.decode()

    response = client.post("/accounts/login/code/", {"code": code_for(device)}, follow=True)
    assert response.redirect_chain[-1][0] == "/cases/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_wrong_code_is_refused_and_signs_nobody_in(client, make_user):
    device = app_for(make_user("lead", username="lee"))
    give_password(client, "lee")
    response = client.post("/accounts/login/code/", {"code": wrong_code_for(device)})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(verb__startswith="totp.").exists()


def test_the_page_asked_for_is_kept_through_both_steps(client, make_user):
    user = make_user("investigator", username="ivy")
    device = app_for(user)
    response = sign_in_with_code(client, user, device, next_url="/cases/?status=new")
    assert response.url == "/cases/?status=new"


def test_a_code_is_accepted_only_once(client, make_user):
    user = make_user("investigator", username="ivy")
    device = app_for(user)
    code = code_for(device)
    give_password(client, "ivy")
    assert client.post("/accounts/login/code/", {"code": code}).status_code == 302
    client.post("/accounts/logout/")
    give_password(client, "ivy")
    assert client.post("/accounts/login/code/", {"code": code}).status_code == 200
    assert "_auth_user_id" not in client.session


def test_too_many_wrong_codes_abandon_the_sign_in_with_one_event(client, make_user):
    device = app_for(make_user("lead", username="lee"))
    give_password(client, "lee")
    for _ in range(CODE_ATTEMPTS_PER_SIGN_IN - 1):
        assert (
            client.post("/accounts/login/code/", {"code": wrong_code_for(device)}).status_code
            == 200
        )
    response = client.post("/accounts/login/code/", {"code": wrong_code_for(device)}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "Too many wrong codes" in response.content.decode()
    [event] = AuditEvent.objects.filter(verb__startswith="totp.")
    assert event.verb == "totp.sign_in_abandoned"
    assert event.after == {"wrong_codes": CODE_ATTEMPTS_PER_SIGN_IN}
    # The right code no longer helps: the password must be given again.
    assert (
        client.post("/accounts/login/code/", {"code": code_for(device)}).url == "/accounts/login/"
    )
    assert "_auth_user_id" not in client.session


def test_after_a_wrong_code_the_next_is_refused_for_a_while(client, make_user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    device = app_for(make_user("lead", username="lee"))
    give_password(client, "lee")
    client.post("/accounts/login/code/", {"code": wrong_code_for(device)})
    response = client.post("/accounts/login/code/", {"code": code_for(device)})
    assert THROTTLED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_removing_the_app_needs_a_current_code(client, make_user):
    user = make_user("investigator", username="ivy")
    device = app_for(user)
    sign_in_with_code(client, user, device)
    assert (
        "type a current code from the app"
        in client.get("/accounts/profile/two-factor/remove/").content.decode()
    )
    wrong = client.post("/accounts/profile/two-factor/remove/", {"code": wrong_code_for(device)})
    assert wrong.status_code == 400
    assert TOTPDevice.objects.filter(user=user).exists()
    right = client.post("/accounts/profile/two-factor/remove/", {"code": code_for(device, 1)})
    assert right.url == "/accounts/profile/two-factor/"
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(verb="totp.removed", actor=user).count() == 1
    client.post("/accounts/logout/")
    assert give_password(client, "ivy").url == "/"


@pytest.fixture
def required(settings):
    settings.REQUIRE_TOTP_FOR_ROLES = ["lead", "administrator"]


def test_a_lead_without_an_app_is_held_at_the_setup_page_when_it_is_required(
    client, make_user, required
):
    lead = make_user("lead", username="lee")
    response = give_password(client, "lee")
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url == "/accounts/profile/two-factor/?next=%2F"
    page = client.get(response.url).content.decode()
    assert "Your role requires two-factor sign-in" in page
    for path in ("/cases/", "/actions/approvals/", "/accounts/profile/"):
        assert client.get(path).url.startswith("/accounts/profile/two-factor/")
    api = client.get("/api/v1/cases/")
    assert api.status_code == 403
    assert "/accounts/profile/two-factor/" in api.json()["errors"][0]["message"]

    client.post("/accounts/profile/two-factor/", {"step": "start"})
    device = TOTPDevice.objects.get(user=lead)
    response = client.post("/accounts/profile/two-factor/", {"code": code_for(device), "next": "/"})
    assert response.url == "/"
    assert client.get("/cases/").status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200


def test_people_of_other_roles_are_not_held(client, make_user, required):
    make_user("investigator", username="ivy")
    give_password(client, "ivy")
    assert client.get("/cases/").status_code == 200


def test_a_personal_token_is_not_asked_for_a_code(api, make_user, required):
    _, clear = PersonalToken.issue(make_user("lead"), "script")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert api.get("/api/v1/cases/").status_code == 200


def test_a_session_that_never_gave_a_code_is_signed_out_when_it_is_required(
    client, make_user, required
):
    lead = make_user("lead", username="lee")
    app_for(lead)
    client.force_login(lead)  # as a session begun before the app was set up
    response = client.get("/cases/")
    assert response.url == "/accounts/login/?next=/cases/"
    assert "_auth_user_id" not in client.session


def test_the_admin_asks_an_administrator_with_an_app_for_a_verified_session(client, make_user):
    admin = make_user("administrator", username="ada")
    device = app_for(admin)
    client.force_login(admin)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/").url == "/accounts/profile/two-factor/"
    client.post("/accounts/logout/")
    sign_in_with_code(client, admin, device)
    assert client.get("/admin/").status_code == 200


def test_the_admin_asks_everyone_for_a_verified_session_when_any_role_must(
    client, make_user, required
):
    client.force_login(make_user(username="root", is_superuser=True, is_staff=True))
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/").url == "/accounts/profile/two-factor/"


def test_the_admins_own_login_form_is_not_a_way_around_the_code(client, make_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.url == "/accounts/login/?next=/admin/"
    app_for(make_user("administrator", username="ada"))
    client.post("/admin/login/?next=/admin/", {"username": "ada", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_a_person_held_at_the_setup_page_is_offered_no_other_page(client, make_user, required):
    make_user("lead", username="lee")
    give_password(client, "lee")
    page = client.get("/accounts/profile/two-factor/").content.decode()
    assert 'href="/cases/"' not in page
    assert 'href="/actions/approvals/"' not in page


def test_an_administrator_removes_the_app_of_a_person_who_lost_it(client, make_user):
    ivy = make_user("investigator", username="ivy")
    app = app_for(ivy)
    admin = make_user("administrator", username="ada")
    client.force_login(admin)
    listing = client.get("/admin/otp_totp/totpdevice/").content.decode()
    assert "ivy" in listing
    assert app.key not in listing
    assert client.get(f"/admin/otp_totp/totpdevice/{app.pk}/change/").status_code == 200
    assert (
        app.key not in client.get(f"/admin/otp_totp/totpdevice/{app.pk}/change/").content.decode()
    )
    response = client.post(f"/admin/otp_totp/totpdevice/{app.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=ivy).exists()
    event = AuditEvent.objects.get(verb="totp.removed")
    assert (event.actor, event.target_id) == (admin, str(ivy.pk))
    client.post("/accounts/logout/")
    assert give_password(client, "ivy").url == "/"


def test_an_administrator_cannot_remove_a_superusers_app(client, make_user):
    root = make_user(username="root", is_superuser=True, is_staff=True)
    app = app_for(root)
    client.force_login(make_user("administrator"))
    response = client.post(f"/admin/otp_totp/totpdevice/{app.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(pk=app.pk).exists()
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
