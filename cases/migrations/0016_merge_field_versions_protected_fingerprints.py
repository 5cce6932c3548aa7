from django.db import migrations


class Migration(migrations.Migration):
    """Joins two migrations written side by side; neither depends on the other."""

    dependencies = [
        ("cases", "0015_field_versions"),
        ("cases", "0015_protected_fingerprints_by_digest"),
    ]

    operations = []
