"""Strong values are never too common: clear the mark the count once put on them.

Only weak values (IP, CIDR, ASN, email domain, user agent) become too common
(docs/alert-import.md); a payment or device fingerprint, API key prefix or
prompt cluster marked by the old count joins again from the next batch.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_actions_move_to_enforcement")]

    operations = [
        migrations.RunSQL(
            sql=(
                "UPDATE cases_indicator SET is_too_common = false WHERE is_too_common AND type IN"
                " ('payment_fingerprint', 'device_fingerprint', 'api_key_prefix', 'prompt_cluster')"
            ),
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
