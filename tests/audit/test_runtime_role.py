"""Production's runtime role: it can append to the trail and nothing more.

The test creates a LOGIN role, gives it the runtime grants with
``manage.py audit grant-runtime`` and connects as it. Transactional, so the
grants and events are committed where the second connection can see them.
"""

import secrets
import uuid

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from audit.checkpoints import make_checkpoint
from audit.events import record
from audit.models import AuditEvent
from audit.verify import verify_chain, verify_checkpoints

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.processes]

RUNTIME_PASSWORD = secrets.token_urlsafe(16)


@pytest.fixture
def runtime_role():
    name = f"dossier_runtime_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        # A password, for servers that ask for one (private servers do).
        cursor.execute(
            f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOINHERIT PASSWORD %s', [RUNTIME_PASSWORD]
        )
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{name}"')  # its grants in this database
            cursor.execute(f'DROP ROLE "{name}"')


@pytest.fixture
def as_runtime(runtime_role):
    call_command("audit", "grant-runtime", runtime_role)
    with transaction.atomic():
        record("case.noted", system="test", reason="kept")
    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=runtime_role,
        password=RUNTIME_PASSWORD,
        autocommit=True,
    )
    yield conn
    conn.close()


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
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_runtime_role_cannot_change_the_trail_or_its_guards(as_runtime, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_runtime.execute(statement)
    assert AuditEvent.objects.get().reason == "kept"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid IN "
            "('audit_auditevent'::regclass, 'audit_auditcheckpoint'::regclass) "
            "AND NOT tgisinternal AND tgenabled = 'O'"
        )
        assert cursor.fetchone()[0] == 4


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


def test_it_refuses_to_grant_runtime_rights_to_a_superuser():
    with pytest.raises(CommandError, match="superuser"):
        call_command("audit", "grant-runtime", connection.settings_dict["USER"])


def test_it_refuses_to_grant_runtime_rights_to_the_tables_owner(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT "{runtime_role}" TO CURRENT_USER')
        cursor.execute(f'ALTER TABLE audit_auditevent OWNER TO "{runtime_role}"')
    try:
        with pytest.raises(CommandError, match="owns audit_auditevent"):
            call_command("audit", "grant-runtime", runtime_role)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent OWNER TO CURRENT_USER")


def test_the_grant_sql_can_be_printed_for_review(capsys):
    call_command("audit", "grant-runtime", "dossier_app", dry_run=True)
    out = capsys.readouterr().out
    assert "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON" in out
    assert '"dossier_app"' in out
