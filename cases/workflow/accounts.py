"""Linking platform accounts to cases, and unlinking them, always with a reason."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.events import record
from cases.models import Account, Case, CaseAccount
from cases.workflow import versions
from cases.workflow.common import (
    lock_case,
    publish_on_commit,
    refusal_audited,
    required_text,
    touch,
)
from cases.workflow.may import WORKING_ROLES, may_work_on, needs_roles


@refusal_audited("link_account")
def link_account(case: Case | int, account: Account, *, actor, reason: str) -> CaseAccount:
    with transaction.atomic():
        case = lock_case(case)
        if not may_work_on(actor, case):
            raise needs_roles(WORKING_ROLES, "Linking an account", case)
        reason = required_text(reason, "reason")
        link, created = CaseAccount.objects.get_or_create(
            case=case, account=account, defaults={"reason": reason, "linked_by": actor}
        )
        if not created:
            raise ValidationError(f"Account {account} is already linked to case #{case.pk}.")
        case.account_count += 1
        touch(case, actor, ["account_count"])
        record(
            "case.account_linked",
            actor=actor,
            target=account,
            cases=[case],
            after={"account": account.external_id},
            reason=reason,
        )
        publish_on_commit(case, "case.account_linked")
    return link


@refusal_audited("unlink_account")
def unlink_account(
    case: Case | int, account: Account, *, actor, reason: str, version: int | None = None
) -> None:
    with transaction.atomic():
        case = lock_case(case, version, edits=[versions.ACCOUNTS])
        if not may_work_on(actor, case):
            raise needs_roles(WORKING_ROLES, "Unlinking an account", case)
        reason = required_text(reason, "reason")
        link = CaseAccount.objects.filter(case=case, account=account).first()
        if link is None:
            raise ValidationError(f"Account {account} is not linked to case #{case.pk}.")
        before = {
            "account": account.external_id,
            "link_reason": link.reason,
            "linked_by": link.linked_by_label,
        }
        link.delete()
        case.account_count = max(case.account_count - 1, 0)
        touch(case, actor, ["account_count"])
        record(
            "case.account_unlinked",
            actor=actor,
            target=account,
            cases=[case],
            before=before,
            reason=reason,
        )
        publish_on_commit(case, "case.account_unlinked")
