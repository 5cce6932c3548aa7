"""Sign-in lockout: failures counted per username and address, one audit event per lockout."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from audit.verify import verify_chain

pytestmark = pytest.mark.django_db

HOME = "198.51.100.7"
ELSEWHERE = "203.0.113.9"
LIMIT = 5  # LOGIN_FAILURE_LIMIT's default
LOCKOUT_MINUTES = 15  # LOGIN_LOCKOUT_MINUTES's default


def sign_in(client, password, *, username="ivy", address=HOME, path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, times, **kwargs):
    return [sign_in(client, f"wrong-{n}", **kwargs) for n in range(times)]


@pytest.fixture
def ivy(make_user):
    return make_user("investigator", username="ivy")


def test_wrong_passwords_below_the_limit_get_the_form_again(client, ivy):
    answers = fail(client, LIMIT - 1)

    assert [a.status_code for a in answers] == [200] * (LIMIT - 1)
    assert sign_in(client, "pw-for-tests-1").status_code == 302


def test_the_limit_of_wrong_passwords_locks_out_even_the_right_one(client, ivy):
    *before, last = fail(client, LIMIT)

    assert [a.status_code for a in before] == [200] * (LIMIT - 1)
    assert last.status_code == 429
    assert b"Sign-in locked" in last.content
    right = sign_in(client, "pw-for-tests-1")
    assert right.status_code == 429
    assert b"Too many failed sign-ins for <strong>ivy</strong>" in right.content
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_when_to_try_again(client, ivy):
    locked = fail(client, LIMIT)[-1]

    ends = timezone.now() + timedelta(minutes=LOCKOUT_MINUTES)
    assert LOCKOUT_MINUTES * 60 - 5 <= int(locked["Retry-After"]) <= LOCKOUT_MINUTES * 60
    page = locked.content.decode()
    assert f"Try again after {ends:%H:%M} UTC" in page or (
        f"Try again after {ends - timedelta(minutes=1):%H:%M} UTC" in page
    )
    assert f"in about {LOCKOUT_MINUTES} minutes" in page
    assert 'aria-label="Main"' not in page  # the app's chrome, for nobody signed in
    assert '<a class="brand" href="/">Dossier</a>' in page


def test_a_lockout_is_one_audit_event_and_the_failures_none(client, ivy):
    fail(client, LIMIT + 3, address=HOME)
    sign_in(client, "pw-for-tests-1")

    event = AuditEvent.objects.get()
    assert event.verb == "auth.locked_out"
    assert event.actor is None
    assert event.after == {"username": "ivy", "address": HOME, "failures": LIMIT}
    assert event.remote_addr == HOME
    assert verify_chain().count == 1


def test_the_trail_never_holds_a_password_tried(client, ivy):
    sign_in(client, "guessed-Secret-99")
    fail(client, LIMIT)

    stored = " ".join(str(v) for row in AuditEvent.objects.values() for v in row.values())
    assert "guessed-Secret-99" not in stored and "wrong-" not in stored


def test_an_unknown_username_is_locked_out_and_recorded_the_same_way(client):
    assert fail(client, LIMIT, username="nobody")[-1].status_code == 429

    assert AuditEvent.objects.get().after == {
        "username": "nobody",
        "address": HOME,
        "failures": LIMIT,
    }


def test_the_same_username_from_another_address_still_signs_in(client, ivy):
    fail(client, LIMIT, address=HOME)

    assert sign_in(client, "pw-for-tests-1", address=ELSEWHERE).status_code == 302


def test_another_username_from_the_same_address_still_signs_in(client, ivy, make_user):
    make_user("lead", username="lee")
    fail(client, LIMIT, address=HOME)

    assert sign_in(client, "pw-for-tests-1", username="lee").status_code == 302


def test_sign_in_works_again_once_the_lockout_has_passed(client, ivy):
    fail(client, LIMIT)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - timedelta(minutes=LOCKOUT_MINUTES, seconds=1)
    )

    assert sign_in(client, "pw-for-tests-1").status_code == 302


def test_a_shorter_lockout_setting_is_honoured(client, ivy, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    locked = fail(client, LIMIT)[-1]
    assert int(locked["Retry-After"]) <= 60
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(seconds=61))

    assert sign_in(client, "pw-for-tests-1").status_code == 302


def test_attempts_during_a_lockout_do_not_extend_it(client, ivy):
    fail(client, LIMIT)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))

    again = sign_in(client, "wrong-again")

    assert again.status_code == 429
    assert int(again["Retry-After"]) <= 5 * 60
    assert AccessAttempt.objects.get().failures_since_start == LIMIT


def test_a_successful_sign_in_clears_the_failures_before_it(client, ivy):
    fail(client, LIMIT - 1)
    assert sign_in(client, "pw-for-tests-1").status_code == 302
    client.post("/accounts/logout/")

    assert [a.status_code for a in fail(client, LIMIT - 1)] == [200] * (LIMIT - 1)


def test_the_admin_signs_in_through_the_same_counted_sign_in(client, make_user):
    make_user("administrator", username="ada")
    # The admin's own form takes no password: it sends people to the sign-in page.
    answer = sign_in(client, "wrong", username="ada", path="/admin/login/?next=/admin/")
    assert answer.url == "/accounts/login/?next=/admin/"
    assert not AccessAttempt.objects.exists()
    fail(client, LIMIT, username="ada")

    assert sign_in(client, "pw-for-tests-1", username="ada").status_code == 429


def test_an_administrator_can_lift_a_lockout_and_the_trail_says_so(client, ivy, capsys):
    fail(client, LIMIT)

    call_command("signin", "unlock", "ivy")

    assert "Unlocked ivy: 1 attempt record(s) removed." in capsys.readouterr().out
    assert sign_in(client, "pw-for-tests-1").status_code == 302
    unlocked = AuditEvent.objects.get(verb="auth.unlocked")
    assert unlocked.system == "manage.py"
    assert unlocked.after == {
        "username": "ivy",
        "address": None,
        "addresses": [HOME],
        "failures": LIMIT,
    }


def test_the_command_lists_who_is_locked_out(client, ivy, capsys):
    fail(client, LIMIT, address=HOME)
    fail(client, 2, address=ELSEWHERE)

    call_command("signin", "locked")

    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 1
    assert listed[0].startswith(f"ivy\t{HOME}\t{LIMIT} failures\tuntil ")
