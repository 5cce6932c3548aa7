"""Each case's indicators, kept by PostgreSQL from the two link tables.

Statement triggers with transition tables, one set-based statement per
statement that wrote links: an import's COPY of thousands of links costs one
join more, not a trigger call per row. A link added and a link removed each
keep the pair (case, indicator) exactly when some account of the case still
carries the indicator. Links between accounts and indicators never change
their ends once written (the import's upsert only moves their dates), so an
update there needs no trigger.

Two transactions that commit at the same moment, one linking an account to a
case and the other giving the account a new indicator, each see only what
was committed before them; the pair they make together is then missing until
the next link written for that account and case. Within one batch the
import commits its indicator links before it writes its case links, so a
batch's own pairs are always kept: the window is between two batches
imported at the same instant.
"""

from django.db import migrations, models

# The pairs a removed link may have given, dropped unless another account
# of the case still carries the indicator.
_DROP_UNLESS_HELD = """
    DELETE FROM cases_caseindicator ci
     USING ({gone}) gone
     WHERE ci.case_id = gone.case_id AND ci.indicator_id = gone.indicator_id
       AND NOT EXISTS (
           SELECT 1
             FROM cases_caseaccount ca
             JOIN cases_accountindicator ai ON ai.account_id = ca.account_id
            WHERE ca.case_id = gone.case_id AND ai.indicator_id = gone.indicator_id
       );
"""
_CASE_LINK_PAIRS = """
    SELECT DISTINCT l.case_id, ai.indicator_id
      FROM {links} l JOIN cases_accountindicator ai ON ai.account_id = l.account_id
"""
_VALUE_LINK_PAIRS = """
    SELECT DISTINCT ca.case_id, l.indicator_id
      FROM {links} l JOIN cases_caseaccount ca ON ca.account_id = l.account_id
"""
_ADD = """
    INSERT INTO cases_caseindicator (case_id, indicator_id)
    {pairs}
     ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
"""


def _function(name: str, body: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body}    RETURN NULL;\nEND $$;\n"
    )


_FUNCTIONS = "".join(
    [
        _function(
            "cases_case_links_added",
            _ADD.format(pairs=_CASE_LINK_PAIRS.format(links="new_links")),
        ),
        _function(
            "cases_case_links_removed",
            _DROP_UNLESS_HELD.format(gone=_CASE_LINK_PAIRS.format(links="old_links")),
        ),
        # A merge moves links to the surviving case.
        _function(
            "cases_case_links_moved",
            _ADD.format(pairs=_CASE_LINK_PAIRS.format(links="new_links"))
            + _DROP_UNLESS_HELD.format(gone=_CASE_LINK_PAIRS.format(links="old_links")),
        ),
        _function(
            "cases_value_links_added",
            _ADD.format(pairs=_VALUE_LINK_PAIRS.format(links="new_links")),
        ),
        _function(
            "cases_value_links_removed",
            _DROP_UNLESS_HELD.format(gone=_VALUE_LINK_PAIRS.format(links="old_links")),
        ),
    ]
)

_TRIGGERS = """
CREATE TRIGGER case_account_added AFTER INSERT ON cases_caseaccount
    REFERENCING NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION cases_case_links_added();
CREATE TRIGGER case_account_removed AFTER DELETE ON cases_caseaccount
    REFERENCING OLD TABLE AS old_links
    FOR EACH STATEMENT EXECUTE FUNCTION cases_case_links_removed();
CREATE TRIGGER case_account_moved AFTER UPDATE ON cases_caseaccount
    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION cases_case_links_moved();
CREATE TRIGGER account_indicator_added AFTER INSERT ON cases_accountindicator
    REFERENCING NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION cases_value_links_added();
CREATE TRIGGER account_indicator_removed AFTER DELETE ON cases_accountindicator
    REFERENCING OLD TABLE AS old_links
    FOR EACH STATEMENT EXECUTE FUNCTION cases_value_links_removed();
"""

_BACKFILL = """
INSERT INTO cases_caseindicator (case_id, indicator_id)
SELECT DISTINCT ca.case_id, ai.indicator_id
  FROM cases_caseaccount ca JOIN cases_accountindicator ai ON ai.account_id = ca.account_id
 ORDER BY 1, 2
ON CONFLICT DO NOTHING;
"""

_DROP = """
DROP TRIGGER account_indicator_removed ON cases_accountindicator;
DROP TRIGGER account_indicator_added ON cases_accountindicator;
DROP TRIGGER case_account_moved ON cases_caseaccount;
DROP TRIGGER case_account_removed ON cases_caseaccount;
DROP TRIGGER case_account_added ON cases_caseaccount;
DROP FUNCTION cases_value_links_removed();
DROP FUNCTION cases_value_links_added();
DROP FUNCTION cases_case_links_moved();
DROP FUNCTION cases_case_links_removed();
DROP FUNCTION cases_case_links_added();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_merge_field_versions_protected_fingerprints"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseIndicator",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="indicator_links",
                        to="cases.case",
                    ),
                ),
                (
                    "indicator",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="case_links",
                        to="cases.indicator",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["indicator", "case"], name="indicator_case")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("case", "indicator"), name="case_indicator_unique"
                    )
                ],
            },
        ),
        migrations.RunSQL(_FUNCTIONS + _TRIGGERS + _BACKFILL, _DROP),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("tlp", "red")), fields=["id"], name="case_restricted"
            ),
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(
                fields=["case", "-created_at", "-id"],
                condition=models.Q(("kind", "alert"), _negated=True),
                name="evidence_case_not_alert",
            ),
        ),
    ]
