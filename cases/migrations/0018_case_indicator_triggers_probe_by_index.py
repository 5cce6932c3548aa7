"""The case-indicator triggers reach links by index, whatever the statistics say.

Their statements join a transition table of a few links to the link tables,
which a campaign grows by hundreds of thousands of rows between two analyses
(or forever, on a server without autovacuum). On statistics from a smaller
table the planner hashes the whole link table for every statement that writes
links, a cost that grows with the table instead of the batch; without
sequential scans and hash or merge joins, each link is an index probe.
"""

from django.db import migrations

FUNCTIONS = (
    "cases_case_links_added",
    "cases_case_links_removed",
    "cases_case_links_moved",
    "cases_value_links_added",
    "cases_value_links_removed",
)
SETTINGS = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")

PROBE_BY_INDEX = "".join(
    f"ALTER FUNCTION {function}() SET {setting} = off;\n"
    for function in FUNCTIONS
    for setting in SETTINGS
)
PLAN_FREELY = "".join(
    f"ALTER FUNCTION {function}() RESET {setting};\n"
    for function in FUNCTIONS
    for setting in SETTINGS
)


class Migration(migrations.Migration):
    dependencies = [("cases", "0017_case_indicators")]

    operations = [migrations.RunSQL(PROBE_BY_INDEX, PLAN_FREELY)]
