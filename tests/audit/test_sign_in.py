"""Sign-ins and sign-outs are audit events; a failed sign-in alone is not."""

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


def test_a_failed_sign_in_writes_nothing_on_the_trail(client, make_user):
    # Anyone can fail a sign-in: an event per failure would let anonymous traffic
    # grow the trail and hold its lock. Axes counts failures; the trail records
    # the lockout they end in (tests/people/test_login_throttling.py).
    make_user(username="ivy")
    response = client.post("/accounts/login/", {"username": "ivy", "password": "guessed-Secret-99"})
    assert response.status_code == 200  # the form again, with an error

    assert not AuditEvent.objects.exists()


def test_a_failed_sign_in_for_an_unknown_username_writes_nothing_either(client):
    client.post("/accounts/login/", {"username": "nobody", "password": "whatever-1"})
    assert not AuditEvent.objects.exists()


def test_signing_out_without_a_session_records_nothing(client):
    client.post("/accounts/logout/")
    assert not AuditEvent.objects.exists()
