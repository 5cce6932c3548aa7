"""Leave room on each page of the tables the import updates in place.

Indicators (counters, seen times), accounts (seen times, details) and cases
(counters, last activity) are rewritten by every import that names them. With
free space on the page PostgreSQL updates a row there (a HOT update) and
leaves the indexes alone; on a full page it writes the new version elsewhere
and adds an entry to every index. Applies to pages written from now on.
"""

from django.db import migrations

TABLES = {"cases_indicator": 80, "cases_account": 85, "cases_case": 70}


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_case_account_link_unconstrained")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE {table} SET (fillfactor = {fillfactor})",
            f"ALTER TABLE {table} RESET (fillfactor)",
        )
        for table, fillfactor in TABLES.items()
    ]
