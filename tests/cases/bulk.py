"""A case of campaign size, written with set-based SQL so a test builds it in moments.

``fill_case`` gives a case ``accounts`` accounts (every tenth protected, every
seventh suspended), ``indicators`` values spread over them (alternately
strong and weak), ``alerts`` alerts from one batch, and the counters the
import would leave; ``record_batches`` the import's events of that many
batches on its trail; ``share_values`` opens other cases whose accounts carry
the case's values, as a campaign's neighbours do.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from audit.events import record_many
from cases.models import Case
from ingestion.models import Batch, Detector

_ACCOUNTS_SQL = """
INSERT INTO cases_account (external_id, is_protected, protected_reason, enforcement_state)
SELECT %(prefix)s || lpad(g::text, 6, '0'), g %% 10 = 0,
       CASE WHEN g %% 10 = 0 THEN 'partner' ELSE '' END,
       CASE WHEN g %% 7 = 0 THEN 'suspended' ELSE 'none' END
  FROM generate_series(1, %(accounts)s) g
"""
_LINKS_SQL = """
INSERT INTO cases_caseaccount (case_id, account_id, reason, linked_by_detector)
SELECT %(case)s, id, 'shares payment fingerprint', 'campaign-watch'
  FROM cases_account WHERE external_id LIKE %(prefix)s || '%%' ORDER BY id
"""
_INDICATORS_SQL = """
INSERT INTO cases_indicator (type, value)
SELECT CASE WHEN g %% 2 = 0 THEN 'device_fingerprint' ELSE 'asn' END, %(prefix)s || 'v' || g
  FROM generate_series(1, %(indicators)s) g
"""
_VALUE_LINKS_SQL = """
WITH a AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
             FROM cases_account WHERE external_id LIKE %(prefix)s || '%%'),
     i AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
             FROM cases_indicator WHERE value LIKE %(prefix)s || 'v%%')
INSERT INTO cases_accountindicator (account_id, indicator_id)
SELECT a.id, i.id FROM a JOIN i ON i.n = a.n %% %(indicators)s
"""
_COUNTS_SQL = """
UPDATE cases_indicator i SET account_count = c.n
  FROM (SELECT indicator_id, count(*) AS n FROM cases_accountindicator GROUP BY 1) c
 WHERE c.indicator_id = i.id AND i.value LIKE %(prefix)s || 'v%%'
"""
_ALERTS_SQL = """
INSERT INTO ingestion_alert (batch_id, detector_id, external_id, kind, severity, confidence,
                             observed_at, title, payload, received_at, status, error, case_id,
                             imported_at)
SELECT %(batch)s, %(detector)s, %(prefix)s || 'alert' || g, 'distillation.cot_elicitation',
       'high', 0.9, %(now)s - g * interval '1 second', '', '{}'::jsonb, %(now)s, 'imported', '',
       %(case)s, %(now)s
  FROM generate_series(1, %(alerts)s) g
"""


def fill_case(case: Case, *, accounts: int, indicators: int = 0, alerts: int = 0) -> Case:
    prefix = f"c{case.pk}_"
    now = timezone.now()
    params = {
        "case": case.pk,
        "prefix": prefix,
        "accounts": accounts,
        "indicators": max(indicators, 1),
        "alerts": alerts,
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(_ACCOUNTS_SQL, params)
        cursor.execute(_LINKS_SQL, params)
        if indicators:
            cursor.execute(_INDICATORS_SQL, params)
            cursor.execute(_VALUE_LINKS_SQL, params)
            cursor.execute(_COUNTS_SQL, params)
        if alerts:
            detector, _ = Detector.objects.get_or_create(name="campaign-watch")
            batch = Batch.objects.create(detector=detector, raw_body=b"{}", status="imported")
            cursor.execute(_ALERTS_SQL, {**params, "batch": batch.pk, "detector": detector.pk})
        cursor.execute("ANALYZE cases_caseaccount, cases_caseindicator, cases_account")
    Case.objects.filter(pk=case.pk).update(account_count=accounts, alert_count=alerts)
    case.refresh_from_db()
    return case


def record_batches(case: Case, count: int) -> None:
    detector, _ = Detector.objects.get_or_create(name="campaign-watch")
    batches = Batch.objects.bulk_create(
        [Batch(detector=detector, raw_body=b"{}", status="imported") for _ in range(count)]
    )
    arrival = {str(case.pk): [40, 8]}
    with transaction.atomic():
        record_many(
            {
                "verb": "batch.imported",
                "system": "import",
                "target": batch,
                "cases": [case.pk],
                "after": {"alerts_imported": 40, "arrivals": arrival},
            }
            for batch in batches
        )


_OTHER_CASES_SQL = """
INSERT INTO cases_case (title, summary, status, resolution, severity, severity_rank,
                        escalation_level, tlp, sla_due_at, tags, attribution_actor,
                        attribution_confidence, attribution_rationale, correlation_key,
                        created_at, updated_at, last_activity_at, account_count)
SELECT %(prefix)s || 'neighbour ' || g, '', 'new', '', 'medium', 2, '',
       CASE WHEN g %% 50 = 0 THEN 'red' ELSE 'amber' END,
       NULL, '[]', '', '', '', '', now(), now(), now(), 1
  FROM generate_series(1, %(cases)s) g
"""
_NEIGHBOURS_SQL = """
INSERT INTO cases_account (external_id)
SELECT %(prefix)s || 'n' || lpad(g::text, 6, '0') FROM generate_series(1, %(cases)s) g
"""
_NEIGHBOUR_LINKS_SQL = """
WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS n
             FROM cases_case WHERE title LIKE %(prefix)s || 'neighbour %%'),
     a AS (SELECT id, row_number() OVER (ORDER BY id) AS n
             FROM cases_account WHERE external_id LIKE %(prefix)s || 'n%%')
INSERT INTO cases_caseaccount (case_id, account_id, reason, linked_by_detector)
SELECT c.id, a.id, 'shares a value', 'campaign-watch' FROM c JOIN a USING (n)
"""
# Each neighbour's account carries the case's ``common`` newest values, which
# every neighbour then shares, and one more value of its own choosing.
_NEIGHBOUR_VALUES_SQL = """
WITH a AS (SELECT id, row_number() OVER (ORDER BY id) AS n
             FROM cases_account WHERE external_id LIKE %(prefix)s || 'n%%'),
     i AS (SELECT id, row_number() OVER (ORDER BY id DESC) - 1 AS n
             FROM cases_indicator WHERE value LIKE %(prefix)s || 'v%%'),
     k AS (SELECT count(*) AS n FROM i)
INSERT INTO cases_accountindicator (account_id, indicator_id)
SELECT a.id, i.id FROM a, i WHERE i.n < %(common)s
UNION
SELECT a.id, i.id FROM a, i, k WHERE i.n = a.n %% k.n
"""


def share_values(case: Case, *, cases: int, common: int) -> None:
    params = {"prefix": f"c{case.pk}_", "cases": cases, "common": common}
    with connection.cursor() as cursor:
        cursor.execute(_OTHER_CASES_SQL, params)
        cursor.execute(_NEIGHBOURS_SQL, params)
        cursor.execute(_NEIGHBOUR_LINKS_SQL, params)
        cursor.execute(_NEIGHBOUR_VALUES_SQL, params)
        cursor.execute(_COUNTS_SQL, params)
        cursor.execute("ANALYZE cases_caseaccount, cases_caseindicator, cases_case")
