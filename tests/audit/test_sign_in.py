"""Sign-ins, sign-outs and failed sign-ins are audit events."""

import pytest

from audit.models import AuditEvent
from audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def test_a_sign_in_and_sign_out_are_recorded_with_the_request(client, make_user):
    user = make_user("investigator", username="ivy")
    client.post(
        "/accounts/login/",
        {"username": "ivy", "password": "pw-for-tests-1"},
        HTTP_X_REQUEST_ID="req-login-1",
        REMOTE_ADDR="198.51.100.7",
    )
    client.post("/accounts/logout/")

    login, logout = AuditEvent.objects.order_by("sequence")
    assert (login.verb, login.actor, login.actor_username) == ("auth.login", user, "ivy")
    assert (login.request_id, login.remote_addr) == ("req-login-1", "198.51.100.7")
    assert (logout.verb, logout.actor) == ("auth.logout", user)
    assert verify_chain().count == 2


def test_a_failed_sign_in_keeps_the_username_tried_and_never_the_password(client, make_user):
    make_user(username="ivy")
    response = client.post("/accounts/login/", {"username": "ivy", "password": "guessed-Secret-99"})
    assert response.status_code == 200  # the form again, with an error

    event = AuditEvent.objects.get()
    assert event.verb == "auth.login_failed"
    assert event.actor is None
    assert event.after == {"username": "ivy"}
    assert not AuditEvent.objects.filter(after__icontains="guessed").exists()
    stored = " ".join(str(v) for v in AuditEvent.objects.values().get().values())
    assert "guessed-Secret-99" not in stored


def test_a_sign_in_for_an_unknown_username_is_recorded_too(client):
    client.post("/accounts/login/", {"username": "nobody", "password": "whatever-1"})
    assert AuditEvent.objects.get().after == {"username": "nobody"}


def test_signing_out_without_a_session_records_nothing(client):
    client.post("/accounts/logout/")
    assert not AuditEvent.objects.exists()
