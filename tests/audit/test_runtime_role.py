"""The runtime role: it can append to the trail and nothing more.

``manage.py audit grant-runtime ROLE --create`` creates the LOGIN role (as
``make run`` and the compose file do) and grants it; the tests then connect as
it, on the machine's server or on private password-protected ones
(``DOSSIER_PRIVATE_SERVICES=1``): with psycopg, as Dossier's own Django
connection in a ``manage.py`` process, and as gunicorn. Transactional, so the
grants and events are committed where the other connections can see them.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from audit.checkpoints import make_checkpoint
from audit.events import record
from audit.models import AuditEvent
from audit.verify import verify_chain, verify_checkpoints
from tests.processes import url_of_test_database

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.processes]

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PASSWORD = secrets.token_urlsafe(16)


def role_row(name: str) -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication,"
            "       rolbypassrls, rolpassword,"
            "       (SELECT count(*) FROM pg_shdepend d WHERE d.refobjid = a.oid"
            "           AND d.refclassid = 'pg_authid'::regclass AND d.deptype = 'o')"
            "  FROM pg_authid a WHERE rolname = %s",
            [name],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    keys = ("login", "superuser", "createdb", "createrole", "replication", "bypassrls")
    return {**dict(zip(keys, found[:6], strict=True)), "password": found[6], "owns": found[7]}


@pytest.fixture
def runtime_role(monkeypatch):
    """A fresh role name, the password in the environment; the role dropped afterwards."""
    name = f"dossier_runtime_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("RUNTIME_DB_PASSWORD", RUNTIME_PASSWORD)
    try:
        yield name
    finally:
        if role_row(name) is not None:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP OWNED BY "{name}"')  # its grants in this database
                cursor.execute(f'DROP ROLE "{name}"')


def connect_as(role: str, password: str = RUNTIME_PASSWORD) -> psycopg.Connection:
    return psycopg.connect(url_of_test_database(role, password), autocommit=True)


@pytest.fixture
def as_runtime(runtime_role):
    call_command("audit", "grant-runtime", runtime_role, "--create")
    with transaction.atomic():
        record("case.noted", system="test", reason="kept")
    conn = connect_as(runtime_role)
    yield conn
    conn.close()


def test_create_makes_a_role_that_may_log_in_and_nothing_more(runtime_role):
    call_command("audit", "grant-runtime", runtime_role, "--create")
    role = role_row(runtime_role)
    assert role["login"]
    assert not any(role[k] for k in ("superuser", "createdb", "createrole", "replication"))
    assert not role["bypassrls"]
    assert role["owns"] == 0
    # Hashed before it was sent: the server never saw the plain text.
    assert role["password"].startswith(("SCRAM-SHA-256$", "md5"))
    with connect_as(runtime_role) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == runtime_role


def test_create_again_keeps_the_role_and_takes_the_new_password(runtime_role, monkeypatch):
    call_command("audit", "grant-runtime", runtime_role, "--create")
    first = role_row(runtime_role)["password"]
    monkeypatch.setenv("RUNTIME_DB_PASSWORD", "a-new-runtime-password")
    call_command("audit", "grant-runtime", runtime_role, "--create")
    assert role_row(runtime_role)["password"] != first
    with connect_as(runtime_role, "a-new-runtime-password") as conn:
        assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] == 0


def test_create_takes_the_password_only_from_the_environment(runtime_role, monkeypatch):
    monkeypatch.delenv("RUNTIME_DB_PASSWORD")
    with pytest.raises(CommandError, match="password in RUNTIME_DB_PASSWORD"):
        call_command("audit", "grant-runtime", runtime_role, "--create")
    monkeypatch.setenv("OTHER_PASSWORD", RUNTIME_PASSWORD)
    with pytest.raises(CommandError, match="password in X_UNSET"):
        call_command("audit", "grant-runtime", runtime_role, "--create", password_env="X_UNSET")
    assert role_row(runtime_role) is None
    call_command("audit", "grant-runtime", runtime_role, "--create", password_env="OTHER_PASSWORD")
    assert role_row(runtime_role)["login"]


@pytest.mark.parametrize("name", ["dossier-app", "app; DROP TABLE x", "pg_dossier", ""])
def test_a_name_that_is_no_plain_role_name_is_refused_naming_it(name, monkeypatch):
    monkeypatch.setenv("RUNTIME_DB_PASSWORD", RUNTIME_PASSWORD)
    with pytest.raises(CommandError, match=re.escape(repr(name))):
        call_command("audit", "grant-runtime", name, "--create")


def test_without_create_a_missing_role_is_refused_saying_how(runtime_role):
    with pytest.raises(CommandError, match=f"role {runtime_role} does not exist.*--create"):
        call_command("audit", "grant-runtime", runtime_role)
    assert role_row(runtime_role) is None


def test_an_existing_role_with_createrole_is_refused_and_left_as_it_was(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{runtime_role}" LOGIN CREATEROLE CREATEDB')
    with pytest.raises(CommandError, match="has CREATEROLE, CREATEDB: a runtime role needs none"):
        call_command("audit", "grant-runtime", runtime_role, "--create")
    assert role_row(runtime_role)["password"] is None


def test_a_role_that_owns_something_is_refused(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{runtime_role}" LOGIN')
        cursor.execute("CREATE TABLE runtime_owned (id int)")
        cursor.execute(f'ALTER TABLE runtime_owned OWNER TO "{runtime_role}"')
    with pytest.raises(CommandError, match="owns objects in this database"):
        call_command("audit", "grant-runtime", runtime_role, "--create")


REFUSED = [
    "UPDATE audit_auditevent SET reason = 'rewritten'",
    "UPDATE audit_auditcheckpoint SET hash = 'x'",
    "DELETE FROM audit_auditcheckpoint",
    "TRUNCATE audit_auditcheckpoint",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_event_no_truncate ON audit_auditevent",
    "ALTER TABLE audit_auditevent ADD COLUMN note text",
    "ALTER TABLE audit_auditevent OWNER TO CURRENT_USER",
    "DROP TABLE audit_auditevent",
    "CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "SET session_replication_role = replica",
    # The case index of the trail: an event cannot be hidden from a case page.
    "DELETE FROM audit_caseevent",
    "UPDATE audit_caseevent SET case_id = 0",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_link_cases",
]


def triggers_enabled() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid IN "
            "('audit_auditevent'::regclass, 'audit_auditcheckpoint'::regclass) "
            "AND NOT tgisinternal AND tgenabled = 'O'"
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_runtime_role_cannot_change_the_trail_or_its_guards(as_runtime, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_runtime.execute(statement)
    assert AuditEvent.objects.get().reason == "kept"
    # Four guards and the trigger that links each event to its cases.
    assert triggers_enabled() == 5


def test_the_runtime_role_can_read_and_append(as_runtime, runtime_role):
    assert as_runtime.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] == 1
    # The application's own write path, running with only the runtime role's rights.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{runtime_role}"')
        record("case.noted", system="test", reason="appended by the runtime role")
        make_checkpoint()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == runtime_role
    assert AuditEvent.objects.count() == 2
    assert verify_chain().count == 2
    assert verify_checkpoints() == 1


# Run by ``manage.py shell`` with DATABASE_URL naming the runtime role: Dossier's
# own connection (its settings, its options) records an event, then tries to
# lift the guards; prints who it was and the SQLSTATE of each refusal.
APP_SCRIPT = """
import json
from django.db import DatabaseError, connection, transaction
from audit.events import record

with connection.cursor() as cursor:
    cursor.execute("SELECT current_user")
    user = cursor.fetchone()[0]
with transaction.atomic():
    record("case.noted", system="test", reason="appended by the app's own connection")
refused = {}
for statement in STATEMENTS:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
        refused[statement] = None
    except DatabaseError as exc:
        refused[statement] = exc.__cause__.sqlstate
print(json.dumps({"user": user, "refused": refused}))
"""

UNBINDING = [
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_truncate",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
    "TRUNCATE audit_auditevent",
    "TRUNCATE audit_auditcheckpoint",
    "UPDATE audit_auditevent SET reason = 'rewritten'",
    "DELETE FROM audit_auditevent",
]


def test_the_apps_own_connection_appends_but_cannot_unbind_the_triggers(as_runtime, runtime_role):
    script = f"STATEMENTS = {UNBINDING!r}\n{APP_SCRIPT}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": url_of_test_database(runtime_role, RUNTIME_PASSWORD),
    }
    env.pop("TEST_DATABASE_NAME", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["user"] == runtime_role
    # 42501: insufficient_privilege, for each one.
    assert seen["refused"] == dict.fromkeys(UNBINDING, "42501")
    assert [e.reason for e in AuditEvent.objects.order_by("sequence")] == [
        "kept",
        "appended by the app's own connection",
    ]
    # Four guards and the trigger that links each event to its cases.
    assert triggers_enabled() == 5
    assert verify_chain().count == 2


def test_gunicorn_serves_as_the_runtime_role(as_runtime, runtime_role, gunicorn_server):
    base = gunicorn_server(DATABASE_URL=url_of_test_database(runtime_role, RUNTIME_PASSWORD))
    health = requests.get(base + "/healthz", timeout=10)
    assert health.status_code == 200, health.text
    # The web process keeps its connection open (DATABASE_CONN_MAX_AGE).
    users = as_runtime.execute(
        "SELECT DISTINCT usename FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        "   AND backend_type = 'client backend' AND usename <> %s",
        [connection.settings_dict["USER"]],
    ).fetchall()
    assert users == [(runtime_role,)]


def test_it_refuses_to_grant_runtime_rights_to_a_superuser():
    with pytest.raises(CommandError, match="superuser"):
        call_command("audit", "grant-runtime", connection.settings_dict["USER"])


def test_it_refuses_to_grant_runtime_rights_to_the_tables_owner(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{runtime_role}" LOGIN')
        cursor.execute(f'GRANT "{runtime_role}" TO CURRENT_USER')
        cursor.execute(f'ALTER TABLE audit_auditevent OWNER TO "{runtime_role}"')
    try:
        with pytest.raises(CommandError, match="owns audit_auditevent"):
            call_command("audit", "grant-runtime", runtime_role, "--create")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent OWNER TO CURRENT_USER")


def test_the_grant_sql_can_be_printed_for_review(capsys):
    call_command("audit", "grant-runtime", "dossier_app", "--create", dry_run=True)
    out = capsys.readouterr().out
    assert out.startswith('CREATE ROLE "dossier_app" WITH LOGIN NOSUPERUSER NOCREATEDB')
    assert "PASSWORD '***'" in out
    assert "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON" in out
    assert '"dossier_app"' in out
