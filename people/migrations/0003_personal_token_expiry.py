"""Every personal token gets an expiry; tokens made before expiries existed
expire ``PERSONAL_TOKEN_DEFAULT_DAYS`` after this migration runs (none is
kept that never expires)."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def expire_existing_tokens(apps, schema_editor):
    PersonalToken = apps.get_model("people", "PersonalToken")
    expires_at = timezone.now() + timedelta(days=settings.PERSONAL_TOKEN_DEFAULT_DAYS)
    PersonalToken.objects.filter(expires_at__isnull=True).update(expires_at=expires_at)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_personal_tokens")]

    operations = [
        migrations.AddField(
            model_name="personaltoken",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="personaltoken",
            name="expires_at",
            field=models.DateTimeField(),
        ),
    ]
