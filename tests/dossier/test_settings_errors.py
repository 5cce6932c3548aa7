"""In production (DEBUG unset) a missing or malformed setting stops start-up naming it.

Each case starts Django in a fresh interpreter with a controlled environment,
the way a server process would.
"""

import os
import subprocess
import sys

import pytest

from tests.dossier.production_env import PRODUCTION, ROOT, run_in_production


def start_django(**variables: str | None) -> subprocess.CompletedProcess:
    return run_in_production("-c", "import django; django.setup()", **variables)


def error_line(result: subprocess.CompletedProcess) -> str:
    """The last line of the traceback: the exception and its message."""
    return result.stderr.strip().splitlines()[-1]


def test_it_starts_when_every_required_setting_is_given():
    result = start_django()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", sorted(PRODUCTION))
def test_a_missing_required_setting_stops_start_up_naming_it(name):
    result = start_django(**{name: None})
    assert result.returncode != 0
    assert "SettingError" in error_line(result)
    assert name in error_line(result)


def test_every_missing_required_setting_is_named_in_one_error():
    result = start_django(**dict.fromkeys(PRODUCTION))
    assert result.returncode != 0
    line = error_line(result)
    assert line.startswith("core.env.SettingError: ")
    for name in PRODUCTION:
        assert f"{name} is required" in line


def test_missing_and_malformed_settings_are_named_together():
    result = start_django(
        ENFORCEMENT_BACKEND=None,
        AUDIT_CHECKPOINT_KEYS=None,
        DATABASE_CONN_MAX_AGE="sixty",
        ENFORCEMENT_TIMEOUT="soon",
    )
    assert result.returncode != 0
    line = error_line(result)
    assert "4 settings are wrong" in line
    for name in ("ENFORCEMENT_BACKEND", "AUDIT_CHECKPOINT_KEYS"):
        assert f"{name} is required" in line
    assert "DATABASE_CONN_MAX_AGE must be an integer" in line
    assert "ENFORCEMENT_TIMEOUT must be a number" in line


def test_the_record_only_backend_and_checkpoints_have_development_defaults():
    result = start_django(
        DEBUG="1", ENFORCEMENT_BACKEND=None, AUDIT_CHECKPOINT_KEYS=None, AUDIT_SIGNING_KEY=None
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://dossier@db.example.org/dossier"),
        ("DATABASE_URL", "postgres://dossier@db.example.org:notaport/dossier"),
        ("DATABASE_CONN_MAX_AGE", "sixty"),
        ("DATABASE_CONNECT_TIMEOUT", "5s"),
        ("WORKER_HEARTBEAT_MAX_AGE", "2"),
        ("ENFORCEMENT_TIMEOUT", "soon"),
        ("DEBUG", "maybe"),
        ("ENFORCEMENT_BACKEND", "carrier-pigeon"),
        ("AUDIT_SIGNING_KEY", "-----not base64-----"),
        # Base64 of 16 bytes: a key must be 32.
        ("AUDIT_SIGNING_KEY", "YWFhYWFhYWFhYWFhYWFhYQ=="),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_it(name, value):
    result = start_django(**{name: value})
    assert result.returncode != 0
    assert "SettingError" in error_line(result)
    assert name in error_line(result)


def test_the_webhook_backend_requires_its_secret():
    result = start_django(
        ENFORCEMENT_BACKEND="webhook", ENFORCEMENT_URL="https://platform.example.org/enforce"
    )
    assert result.returncode != 0
    assert "ENFORCEMENT_SECRET" in error_line(result)


def test_the_webhook_backend_requires_its_url():
    result = start_django(ENFORCEMENT_BACKEND="webhook", ENFORCEMENT_SECRET="s3cret-for-hmac")
    assert result.returncode != 0
    assert "ENFORCEMENT_URL" in error_line(result)


def test_debug_supplies_development_values_for_the_required_settings():
    unset = dict.fromkeys(PRODUCTION)
    result = start_django(DEBUG="1", **unset)
    assert result.returncode == 0, result.stderr


def test_number_settings_name_what_they_expect(monkeypatch):
    from core.env import SettingError, env_float, env_int

    monkeypatch.delenv("DOSSIER_TEST_NUMBER", raising=False)
    assert env_int("DOSSIER_TEST_NUMBER", 5) == 5
    monkeypatch.setenv("DOSSIER_TEST_NUMBER", " 7 ")
    assert env_int("DOSSIER_TEST_NUMBER", 5, minimum=7) == 7
    assert env_float("DOSSIER_TEST_NUMBER", 0.5) == 7.0
    for read, expected in ((env_int, "an integer"), (env_float, "a number")):
        monkeypatch.setenv("DOSSIER_TEST_NUMBER", "soon")
        with pytest.raises(SettingError, match=f"DOSSIER_TEST_NUMBER must be {expected}, got"):
            read("DOSSIER_TEST_NUMBER", 1)
        monkeypatch.setenv("DOSSIER_TEST_NUMBER", "0")
        with pytest.raises(SettingError, match="DOSSIER_TEST_NUMBER must be at least 1, got '0'"):
            read("DOSSIER_TEST_NUMBER", 1, minimum=1)


def manage(*args: str) -> subprocess.CompletedProcess:
    """manage.py with no settings in the environment at all."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_bare_checkout_can_check_its_migrations_without_production_settings():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_other_commands_still_refuse_to_start_without_production_settings():
    result = manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in error_line(result)


def test_a_role_that_does_not_exist_cannot_be_required_to_use_two_factor_sign_in():
    result = start_django(REQUIRE_TOTP_FOR_ROLES="lead,leads")
    assert result.returncode != 0
    assert "REQUIRE_TOTP_FOR_ROLES names 'leads', which is not a role" in error_line(result)
