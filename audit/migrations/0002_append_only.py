"""Make the audit table append-only in PostgreSQL itself.

Row triggers refuse UPDATE and DELETE, a statement trigger refuses TRUNCATE.
They bind every role that cannot drop or disable them, which is why the
runtime role must not own the table (``manage.py audit grant-runtime``).
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION audit_event_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_event_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();

CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
"""

BACKWARD = """
DROP TRIGGER audit_event_no_truncate ON audit_auditevent;
DROP TRIGGER audit_event_no_update_delete ON audit_auditevent;
DROP FUNCTION audit_event_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_auditevent")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
