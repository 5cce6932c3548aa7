"""Small helpers that create cases as the import would leave them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cases.models import SEVERITY_RANK, Case


def make_case(**fields) -> Case:
    fields.setdefault("title", "Distillation cluster")
    severity = fields.setdefault("severity", "medium")
    fields.setdefault("severity_rank", SEVERITY_RANK[severity])
    fields.setdefault("sla_due_at", timezone.now() + timedelta(days=1))
    last_activity = fields.pop("last_activity_at", None)
    case = Case.objects.create(**fields)
    if last_activity is not None:
        Case.objects.filter(pk=case.pk).update(last_activity_at=last_activity)
        case.last_activity_at = last_activity
    return case


def make_account(external_id: str, **fields):
    from cases.models import Account

    return Account.objects.create(external_id=external_id, **fields)


def link(case: Case, account, reason: str = "shares payment fingerprint", detector: str = "dx"):
    from cases.models import CaseAccount

    CaseAccount.objects.create(
        case=case, account=account, reason=reason, linked_by_detector=detector
    )
    Case.objects.filter(pk=case.pk).update(account_count=case.account_links.count())


def make_indicator(type_: str, value: str, *accounts, too_common: bool = False):
    from cases.models import AccountIndicator, Indicator

    # The import counts an indicator's accounts as it links them.
    indicator = Indicator.objects.create(
        type=type_, value=value, is_too_common=too_common, account_count=len(accounts)
    )
    for account in accounts:
        AccountIndicator.objects.create(account=account, indicator=indicator)
    return indicator
