from django.db import migrations, models

# Which fields changed at which version is not known for the cases already
# there: every group counts as changed at the case's current version, so a
# form loaded before the upgrade is refused as stale, as it was before.
STAMP_EXISTING = """
UPDATE cases_case AS c
   SET field_versions = (
       SELECT jsonb_object_agg(g, jsonb_build_object(
                  'version', c.version,
                  'by', COALESCE((SELECT username FROM auth_user WHERE id = c.updated_by_id), ''),
                  'at', c.updated_at))
         FROM unnest(ARRAY['status', 'severity', 'assignee', 'attribution', 'TLP', 'accounts']) AS g)
 WHERE c.version > 1
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_protected_accounts_and_review_flags"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="field_versions",
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
        migrations.RunSQL(STAMP_EXISTING, migrations.RunSQL.noop),
    ]
