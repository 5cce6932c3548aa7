"""Grants for production's runtime database role.

Production runs migrations as the owner role and serves requests as a
separate runtime role. The runtime role gets ordinary DML on the app's tables
but only SELECT and INSERT on the audit tables (events and checkpoints),
and owns nothing, so it can neither disable the append-only triggers nor
alter, truncate or drop those tables.
Re-run after each ``migrate`` (new tables need their grants too).
"""

from __future__ import annotations

import re

from django.db import connection

AUDIT_TABLE = "audit_auditevent"
APPEND_ONLY_TABLES = (AUDIT_TABLE, "audit_auditcheckpoint")
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class RuntimeRoleError(ValueError):
    pass


def grant_statements(role: str, schema: str) -> list[str]:
    if not _ROLE_NAME.match(role):
        raise RuntimeRoleError(f"not a plain role name: {role!r}")
    if not _ROLE_NAME.match(schema):
        raise RuntimeRoleError(f"not a plain schema name: {schema!r}")
    r, s = f'"{role}"', f'"{schema}"'
    return [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        *(
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {s}.{table} FROM {r}"
            for table in APPEND_ONLY_TABLES
        ),
    ]


def grant_runtime(role: str, *, dry_run: bool = False) -> list[str]:
    """Apply (or with ``dry_run`` only return) the runtime role's grants."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        statements = grant_statements(role, schema)
        if dry_run:
            return statements
        cursor.execute(
            "SELECT r.rolsuper, pg_has_role(r.rolname, t.tableowner, 'MEMBER')"
            "  FROM pg_roles r, pg_tables t"
            " WHERE r.rolname = %s AND t.tablename = %s AND t.schemaname = %s",
            [role, AUDIT_TABLE, schema],
        )
        found = cursor.fetchone()
        if found is None:
            raise RuntimeRoleError(f"role {role} does not exist (or the audit table is missing)")
        superuser, owns = found
        if superuser:
            raise RuntimeRoleError(f"role {role} is a superuser: triggers do not bind it")
        if owns:
            raise RuntimeRoleError(
                f"role {role} owns {AUDIT_TABLE} (or is a member of its owner) "
                "and could disable its triggers: use a separate runtime role"
            )
        for statement in statements:
            cursor.execute(statement)
    return statements
