"""Linking platform accounts to cases, and unlinking them, always with a reason;
flagging an account protected, or lifting the flag, with a reason too."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.events import record
from audit.models import AuditEvent
from cases.models import Account, Case, CaseAccount
from cases.workflow import versions
from cases.workflow.common import (
    check_length,
    clean_text,
    lock_case,
    publish_on_commit,
    refusal_audited,
    required_text,
    touch,
)
from cases.workflow.may import (
    PROTECTING_ROLES,
    WORKING_ROLES,
    may_protect_accounts,
    may_work_on,
    needs_roles,
    needs_roles_for,
)
from core import text_limits as limits
from core.refusals import Conflict


@refusal_audited("link_account")
def link_account(case: Case | int, account: Account, *, actor, reason: str) -> CaseAccount:
    check_length(reason, "reason", limits.REASON, "The reason")
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
    check_length(reason, "reason", limits.REASON, "The reason")
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


class AlreadyProtected(Conflict):
    """The account is already as asked: someone else flagged (or cleared) it first."""


@refusal_audited("protect_account")
def set_account_protected(
    account: Account | int,
    protected: bool,
    *,
    actor,
    reason: str,
    case: Case | None = None,
) -> Account:
    """Flag ``account`` protected (or lift the flag), saying why; leads only.

    A protected account is never actioned without a lead's override, and a
    value of its own joins no two cases (the import reads the flag with each
    batch). ``case`` is the case the lead did it from: the event is on its
    trail too. Asking for the state the account is already in is refused
    (``AlreadyProtected``, naming who set it), since the lead decided on what
    they saw; a protected account's reason is changed by protecting it again
    with another reason.
    """
    account_id = account.pk if isinstance(account, Account) else int(account)
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        if not may_protect_accounts(actor):
            if case is not None:
                raise needs_roles(PROTECTING_ROLES, "Protecting an account", case)
            raise needs_roles_for(PROTECTING_ROLES, "Protecting an account")
        reason = required_text(reason, "reason")
        locked = Account.objects.select_for_update().get(pk=account_id)
        if locked.is_protected == protected and (
            not protected or clean_text(locked.protected_reason) == reason
        ):
            raise AlreadyProtected(_already(locked))
        before = {"is_protected": locked.is_protected, "protected_reason": locked.protected_reason}
        locked.is_protected = protected
        locked.protected_reason = reason if protected else ""
        locked.save(update_fields=["is_protected", "protected_reason"])
        record(
            "account.protected" if protected else "account.unprotected",
            actor=actor,
            target=locked,
            cases=[case] if case is not None else [],
            before=before,
            after={"is_protected": protected, "protected_reason": locked.protected_reason},
            reason=reason,
        )
        if case is not None:
            publish_on_commit(case, "account.protected" if protected else "account.unprotected")
    return locked


def _already(account: Account) -> str:
    """That ``account`` is already as asked, and who made it so, when the trail says."""
    state = "protected" if account.is_protected else "not protected"
    last = (
        AuditEvent.objects.filter(
            target_type=Account._meta.label_lower,
            target_id=str(account.pk),
            verb__in=["account.protected", "account.unprotected", "admin.changed"],
        )
        .select_related("actor")
        .order_by("-sequence")
        .first()
    )
    told = f"Account {account.external_id} is already {state}"
    if last is not None:
        when = last.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        told += f": set by {last.actor_label} at {when}"
    if account.is_protected and account.protected_reason:
        told += f" ({account.protected_reason})"
    return told + "."
