"""Grants for the runtime database role, and the role itself.

Dossier runs migrations as the owner role and serves requests, workers and
beat as a separate runtime role. The runtime role gets ordinary DML on the
app's tables but only SELECT and INSERT on the audit tables (events and
checkpoints), and owns nothing, so it can neither disable the append-only
triggers nor alter, truncate or drop those tables, and without superuser it
cannot set ``session_replication_role`` either.
Re-run after each ``migrate`` (new tables need their grants too).
"""

from __future__ import annotations

import re

from django.db import connection

AUDIT_TABLE = "audit_auditevent"
# The case index of the trail too: the runtime role cannot hide an event from a case page.
APPEND_ONLY_TABLES = (AUDIT_TABLE, "audit_auditcheckpoint", "audit_caseevent")
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# What a created role may do: log in, nothing more (no role, database,
# replication or row-security rights; superuser never).
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
# Rights a runtime role must not hold (CREATEROLE could make it a member of
# the owner), in the order _refuse_unsafe selects them.
_REFUSED_ATTRIBUTES = ("CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS")


class RuntimeRoleError(ValueError):
    pass


def _identifier(kind: str, name: str) -> str:
    if not _ROLE_NAME.match(name):
        raise RuntimeRoleError(f"not a plain {kind} name: {name!r}")
    if kind == "role" and name.lower().startswith("pg_"):
        raise RuntimeRoleError(f"role names starting with pg_ are PostgreSQL's own: {name!r}")
    return f'"{name}"'


def grant_statements(role: str, schema: str) -> list[str]:
    r, s = _identifier("role", role), _identifier("schema", schema)
    return [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        *(
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {s}.{table} FROM {r}"
            for table in APPEND_ONLY_TABLES
        ),
    ]


def role_statement(role: str, *, exists: bool) -> str:
    """The statement that creates the role, or sets an existing one's password;
    ``%s`` stands for the password (sent hashed, never as plain text)."""
    r = _identifier("role", role)
    if exists:
        return f"ALTER ROLE {r} WITH LOGIN PASSWORD %s"
    return f"CREATE ROLE {r} WITH {ROLE_ATTRIBUTES} PASSWORD %s"


def _hashed(password: str, role: str) -> str:
    """The password as the server stores it (its ``password_encryption``), so
    the plain text never reaches the server or its statement log."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    return pgconn.encrypt_password(password.encode(), role.encode()).decode()


def _role_exists(cursor, role: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def _refuse_unsafe(cursor, role: str, schema: str) -> None:
    cursor.execute(
        "SELECT r.rolsuper, pg_has_role(r.rolname, t.tableowner, 'MEMBER'),"
        "       r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,"
        "       EXISTS (SELECT 1 FROM pg_shdepend d"
        "                WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = r.oid"
        "                  AND d.deptype = 'o' AND d.dbid = db.oid)"
        "       OR db.datdba = r.oid"
        "  FROM pg_roles r, pg_tables t, pg_database db"
        " WHERE r.rolname = %s AND t.tablename = %s AND t.schemaname = %s"
        "   AND db.datname = current_database()",
        [role, AUDIT_TABLE, schema],
    )
    found = cursor.fetchone()
    if found is None:
        raise RuntimeRoleError(
            f"role {role} does not exist (or the audit table is missing): "
            "create it with --create, or run migrate first"
        )
    superuser, owns_audit, *attributes, owns_something = found
    if superuser:
        raise RuntimeRoleError(f"role {role} is a superuser: triggers do not bind it")
    if owns_audit:
        raise RuntimeRoleError(
            f"role {role} owns {AUDIT_TABLE} (or is a member of its owner) "
            "and could disable its triggers: use a separate runtime role"
        )
    held = [name for name, has in zip(_REFUSED_ATTRIBUTES, attributes, strict=True) if has]
    if held:
        raise RuntimeRoleError(
            f"role {role} has {', '.join(held)}: a runtime role needs none of them "
            f"(ALTER ROLE {role} NO{' NO'.join(held)})"
        )
    if owns_something:
        raise RuntimeRoleError(
            f"role {role} owns objects in this database (or the database itself): "
            "a runtime role must own nothing; use a separate role"
        )


def grant_runtime(role: str, *, password: str | None = None, dry_run: bool = False) -> list[str]:
    """Apply (or with ``dry_run`` only return) the runtime role's grants.

    With ``password``, first create the role when it is missing (allowed to
    log in and nothing more), or set the password of the existing one.
    Returns the statements, the password shown as ``'***'``.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        grants = grant_statements(role, schema)
        exists = _role_exists(cursor, role)
        setup = [] if password is None else [role_statement(role, exists=exists)]
        shown = [statement.replace("%s", "'***'") for statement in setup] + grants
        if dry_run:
            return shown
        if exists:
            _refuse_unsafe(cursor, role, schema)  # before its password changes
        for statement in setup:
            cursor.execute(statement, [_hashed(password, role)])
        _refuse_unsafe(cursor, role, schema)
        for statement in grants:
            cursor.execute(statement)
    return shown
