#!/usr/bin/env python3
"""The naive baseline: import alerts with one ORM ``save()`` per row.

Run by ``bench/ingest.py`` against a database of its own. For each alert: the
alert row, then every account, indicator and account-indicator link looked up
and saved one at a time, a case found through the accounts or created, the
case-account links and the alert's evidence saved one by one; autocommit, as a
straightforward loop would. Prints ``<alerts> <seconds>``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dossier.settings")

import django

django.setup()

from datetime import datetime  # noqa: E402

from cases.indicator_values import normalise  # noqa: E402
from cases.models import Account, AccountIndicator, Case, CaseAccount, Evidence, Indicator  # noqa: E402
from ingestion.models import Alert, Batch, Detector  # noqa: E402


def import_naively(alerts: list[dict]) -> None:
    detector, _ = Detector.objects.get_or_create(name="naive", defaults={"rate_per_minute": 0})
    batch = Batch(id=uuid.uuid4(), detector=detector, raw_body=b"", accepted=len(alerts))
    batch.save()
    for item in alerts:
        observed = datetime.fromisoformat(item["observed_at"])
        alert = Alert(
            batch=batch,
            detector=detector,
            external_id=item["external_id"],
            kind=item["kind"],
            severity=item["severity"],
            confidence=item.get("confidence") or 0.5,
            observed_at=observed,
            title=item.get("title") or "",
            payload=item,
        )
        alert.save()
        accounts = []
        for ref in item.get("accounts") or ():
            account = Account.objects.filter(external_id=ref["external_id"]).first()
            if account is None:
                account = Account(external_id=ref["external_id"])
            account.email_domain = ref.get("email_domain") or account.email_domain
            account.country = ref.get("country") or account.country
            account.payment_fingerprint = ref.get("payment_fingerprint") or ""
            account.save()
            accounts.append(account)
        indicators = []
        for ind in item.get("indicators") or ():
            value = normalise(ind["type"], ind["value"], detector_name=detector.name)
            indicator = Indicator.objects.filter(type=ind["type"], value=value).first()
            if indicator is None:
                indicator = Indicator(type=ind["type"], value=value)
            indicator.last_seen = observed
            indicator.save()
            indicators.append(indicator)
        for account in accounts:
            for indicator in indicators:
                link = AccountIndicator.objects.filter(account=account, indicator=indicator).first()
                if link is None:
                    link = AccountIndicator(account=account, indicator=indicator)
                link.last_seen = observed
                link.save()
        link = CaseAccount.objects.filter(account__in=accounts, case__status="new").first()
        case = link.case if link else None
        if case is None:
            case = Case(title=alert.title or alert.kind, severity=alert.severity)
            case.save()
        for account in accounts:
            if not CaseAccount.objects.filter(case=case, account=account).exists():
                CaseAccount(
                    case=case, account=account, reason="named in alert", linked_by_detector="naive"
                ).save()
        Evidence(
            case=case,
            kind="alert",
            title=alert.title or alert.kind,
            source_ref=f"alert:{alert.pk}",
            created_by_detector="naive",
        ).save()
        case.alert_count += 1
        case.save()
        alert.case = case
        alert.status = "imported"
        alert.save()


def main() -> None:
    alerts = json.loads(Path(sys.argv[1]).read_text())
    started = time.perf_counter()
    import_naively(alerts)
    print(len(alerts), time.perf_counter() - started)


if __name__ == "__main__":
    main()
