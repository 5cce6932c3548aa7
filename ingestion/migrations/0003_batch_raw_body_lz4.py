from django.db import migrations

# Raw bodies are large and written once per request: lz4 compresses them at a
# fraction of the CPU the default pglz costs. Servers built without lz4 keep pglz.
LZ4 = """
DO $$
BEGIN
    ALTER TABLE ingestion_batch ALTER COLUMN raw_body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 unavailable; raw bodies stay pglz-compressed';
END
$$;
"""
PGLZ = "ALTER TABLE ingestion_batch ALTER COLUMN raw_body SET COMPRESSION pglz;"


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0002_correlation_keys"),
    ]

    operations = [migrations.RunSQL(LZ4, PGLZ)]
