from django.db import migrations, models

# convert_to() is only STABLE, so a generated column cannot call it directly.
# On a UTF8 database the conversion is the identity, so this wrapper really is
# immutable.
DIGEST_FUNCTION = """
CREATE FUNCTION indicator_digest(value text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN sha256(convert_to(value, 'UTF8'))
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_evidence_file_path"),
    ]

    operations = [
        migrations.RunSQL(DIGEST_FUNCTION, "DROP FUNCTION indicator_digest(text)"),
        migrations.AddField(
            model_name="indicator",
            name="value_digest",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    "value", function="indicator_digest", output_field=models.BinaryField()
                ),
                output_field=models.BinaryField(),
            ),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.UniqueConstraint(
                fields=("type", "value_digest"), name="indicator_type_digest_unique"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="indicator",
            name="indicator_type_value_unique",
        ),
    ]
