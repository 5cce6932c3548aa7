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
    _unlink(case, [account.pk], actor=actor, reason=reason, version=version)


@refusal_audited("unlink_account")
def unlink_accounts(
    case: Case | int, account_ids: list[int], *, actor, reason: str, version: int | None = None
) -> list[str]:
    """Unlink the accounts ``account_ids`` from ``case`` at once, with one reason:
    one new version of the case, and one audit event per account. Any of them
    not linked refuses them all. Returns their external ids, in order."""
    return _unlink(case, account_ids, actor=actor, reason=reason, version=version)


def _unlink(
    case: Case | int, account_ids: list[int], *, actor, reason: str, version: int | None
) -> list[str]:
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        case = lock_case(case, version, edits=[versions.ACCOUNTS])
        if not may_work_on(actor, case):
            raise needs_roles(WORKING_ROLES, "Unlinking an account", case)
        reason = required_text(reason, "reason")
        links = list(
            CaseAccount.objects.filter(case=case, account_id__in=account_ids)
            .select_related("account")
            .order_by("account__external_id", "account_id")
        )
        if len(links) != len(set(account_ids)):
            raise ValidationError(_not_linked(case, account_ids, links))
        for link in links:
            before = {
                "account": link.account.external_id,
                "link_reason": link.reason,
                "linked_by": link.linked_by_label,
            }
            link.delete()
            record(
                "case.account_unlinked",
                actor=actor,
                target=link.account,
                cases=[case],
                before=before,
                reason=reason,
            )
        case.account_count = max(case.account_count - len(links), 0)
        touch(case, actor, ["account_count"])
        publish_on_commit(case, "case.account_unlinked")
    return [link.account.external_id for link in links]


def _not_linked(case: Case, account_ids: list[int], links: list[CaseAccount]) -> str:
    """Which of ``account_ids`` are not linked to ``case`` (those ``links`` miss)."""
    linked = {link.account_id for link in links}
    missing = sorted(set(account_ids) - linked)
    names = dict(Account.objects.filter(pk__in=missing).values_list("pk", "external_id"))
    shown = ", ".join(names.get(pk, f"#{pk}") for pk in missing)
    if len(missing) == 1:
        return f"Account {shown} is not linked to case #{case.pk}."
    return f"Accounts {shown} are not linked to case #{case.pk}."


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
        _may_protect(actor, case)
        reason = required_text(reason, "reason")
        locked = Account.objects.select_for_update().get(pk=account_id)
        _protect(locked, protected, actor=actor, reason=reason, case=case)
        if case is not None:
            publish_on_commit(case, _verb(protected))
    return locked


@refusal_audited("protect_account")
def set_accounts_protected(
    case: Case, account_ids: list[int], protected: bool, *, actor, reason: str
) -> list[Account]:
    """``set_account_protected`` for several accounts of ``case`` at once, with
    one reason and one audit event each; any of them not linked to the case,
    or already as asked, refuses them all. Returns them by external id."""
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        _may_protect(actor, case)
        reason = required_text(reason, "reason")
        links = list(
            CaseAccount.objects.filter(case=case, account_id__in=account_ids).only(
                "id", "account_id"
            )
        )
        if len(links) != len(set(account_ids)):
            raise ValidationError(_not_linked(case, account_ids, links))
        locked = list(
            Account.objects.select_for_update()
            .filter(pk__in=account_ids)
            .order_by("external_id", "pk")
        )
        for account in locked:
            _protect(account, protected, actor=actor, reason=reason, case=case)
        publish_on_commit(case, _verb(protected))
    return locked


def _may_protect(actor, case: Case | None) -> None:
    if not may_protect_accounts(actor):
        if case is not None:
            raise needs_roles(PROTECTING_ROLES, "Protecting an account", case)
        raise needs_roles_for(PROTECTING_ROLES, "Protecting an account")


def _protect(locked: Account, protected: bool, *, actor, reason: str, case: Case | None) -> None:
    """Set the flag of ``locked`` (a row this transaction locked) and write its event."""
    if locked.is_protected == protected and (
        not protected or clean_text(locked.protected_reason) == reason
    ):
        raise AlreadyProtected(_already(locked))
    before = {"is_protected": locked.is_protected, "protected_reason": locked.protected_reason}
    locked.is_protected = protected
    locked.protected_reason = reason if protected else ""
    locked.save(update_fields=["is_protected", "protected_reason"])
    record(
        _verb(protected),
        actor=actor,
        target=locked,
        cases=[case] if case is not None else [],
        before=before,
        after={"is_protected": protected, "protected_reason": locked.protected_reason},
        reason=reason,
    )


def _verb(protected: bool) -> str:
    return "account.protected" if protected else "account.unprotected"


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
