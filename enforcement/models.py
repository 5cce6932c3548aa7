"""Enforcement actions proposed on a case, and their per-target records.

Kinds and target types follow docs/enforcement-webhook.md.
Targets carry their own state so one target can be retried or reverted alone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class ActionKind(models.TextChoices):
    SUSPEND_ACCOUNTS = "suspend_accounts", "Suspend accounts"
    TERMINATE_ACCOUNTS = "terminate_accounts", "Terminate accounts"
    REQUIRE_VERIFICATION = "require_verification", "Require verification"
    REVOKE_API_KEYS = "revoke_api_keys", "Revoke API keys"
    BLOCK_NETWORK = "block_network", "Block network"
    RATE_LIMIT = "rate_limit", "Rate limit"
    NOTIFY_PARTNER = "notify_partner", "Notify partner"


class TargetType(models.TextChoices):
    ACCOUNT = "account", "Account"
    API_KEY_PREFIX = "api_key_prefix", "API key prefix"
    IP = "ip", "IP address"
    CIDR = "cidr", "Network (CIDR)"
    ASN = "asn", "ASN"
    PARTNER = "partner", "Partner"


# Which target types each kind accepts (docs/enforcement-webhook.md).
KIND_TARGET_TYPES: dict[str, frozenset[str]] = {
    ActionKind.SUSPEND_ACCOUNTS: frozenset({TargetType.ACCOUNT}),
    ActionKind.TERMINATE_ACCOUNTS: frozenset({TargetType.ACCOUNT}),
    ActionKind.REQUIRE_VERIFICATION: frozenset({TargetType.ACCOUNT}),
    ActionKind.REVOKE_API_KEYS: frozenset({TargetType.ACCOUNT, TargetType.API_KEY_PREFIX}),
    ActionKind.BLOCK_NETWORK: frozenset({TargetType.IP, TargetType.CIDR, TargetType.ASN}),
    ActionKind.RATE_LIMIT: frozenset(
        {TargetType.ACCOUNT, TargetType.IP, TargetType.CIDR, TargetType.ASN}
    ),
    ActionKind.NOTIFY_PARTNER: frozenset({TargetType.PARTNER}),
}


class ActionState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval", "Awaiting second approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXECUTING = "executing", "Executing"
    PAUSED = "paused", "Paused"
    EXECUTED = "executed", "Executed"
    PARTIALLY_FAILED = "partially_failed", "Partially failed"
    FAILED = "failed", "Failed"
    REVERTING = "reverting", "Reverting"
    REVERTED = "reverted", "Reverted"


# Actions still on their way to being carried out: while a case has one, it
# stays pending_action.
LIVE_ACTION_STATES: frozenset[str] = frozenset(
    {
        ActionState.PROPOSED,
        ActionState.AWAITING_SECOND_APPROVAL,
        ActionState.APPROVED,
        ActionState.EXECUTING,
        ActionState.PAUSED,
    }
)
# Actions that were carried out (at least in part).
CARRIED_OUT_STATES: frozenset[str] = frozenset({ActionState.EXECUTED, ActionState.PARTIALLY_FAILED})
# Waiting on a lead: the case's SLA stands still while one of its actions is here.
AWAITING_APPROVAL_STATES: frozenset[str] = frozenset(
    {ActionState.PROPOSED, ActionState.AWAITING_SECOND_APPROVAL}
)


class TargetState(models.TextChoices):
    # A protected account left out of the action unless a lead overrides it.
    EXCLUDED = "excluded", "Excluded (protected)"
    PENDING = "pending", "Pending"
    EXECUTING = "executing", "Executing"
    EXECUTED = "executed", "Executed"
    FAILED = "failed", "Failed"
    # Revert requested, not yet sent; ``reverting`` means sent and unanswered.
    REVERT_PENDING = "revert_pending", "Revert pending"
    REVERTING = "reverting", "Reverting"
    REVERTED = "reverted", "Reverted"
    REVERT_FAILED = "revert_failed", "Revert failed"


class Action(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=30, choices=ActionKind)
    state = models.CharField(
        max_length=30,
        choices=ActionState,
        default=ActionState.PROPOSED,
        db_default=ActionState.PROPOSED,
    )
    params = models.JSONField(default=dict, blank=True)
    rationale = models.TextField(blank=True, default="")
    # Shown to the account by the platform, if anything.
    notice = models.TextField(blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    approvals_required = models.PositiveSmallIntegerField(default=1)

    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now, db_default=Now())
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_approved_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")
    approval_comment = models.TextField(blank=True, default="", db_default="")
    second_approval_comment = models.TextField(blank=True, default="", db_default="")
    # Protected accounts are actioned only with a lead's explicit override.
    protected_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    protected_override_reason = models.TextField(blank=True, default="")

    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.TextField(blank=True, default="")
    reverted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Created by the cases app before enforcement held its own models; the
        # table kept its name when the model moved, so no data was copied.
        db_table = "cases_action"
        indexes = [
            models.Index(fields=["state", "proposed_at"], name="action_state_proposed"),
            models.Index(fields=["case", "state"], name="action_case_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (#{self.pk}) on case #{self.case_id}"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_ACTION_STATES


class ActionTarget(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="targets")
    target_type = models.CharField(max_length=20, choices=TargetType)
    value = models.CharField(max_length=1100)
    # Set for account targets, so the blast radius can be computed with joins.
    account = models.ForeignKey(
        "cases.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        max_length=20,
        choices=TargetState,
        default=TargetState.PENDING,
        db_default=TargetState.PENDING,
    )
    reference = models.CharField(max_length=300, blank=True, default="", db_default="")
    error = models.TextField(blank=True, default="", db_default="")
    attempts = models.PositiveIntegerField(default=0, db_default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)
    # The exact request bodies, built once: every attempt (and a restarted
    # worker) sends these bytes under the same idempotency key.
    apply_body = models.BinaryField(null=True, blank=True)
    revert_body = models.BinaryField(null=True, blank=True)
    # Protected when proposed; acted on only with a lead's override and reason.
    is_protected = models.BooleanField(default=False, db_default=False)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.TextField(blank=True, default="", db_default="")

    class Meta:
        db_table = "cases_actiontarget"
        constraints = [
            models.UniqueConstraint(
                fields=["action", "target_type", "value"], name="action_target_unique"
            ),
        ]
        # Progress counts and work claims read targets by action and state.
        indexes = [models.Index(fields=["action", "state"], name="action_target_state")]

    def __str__(self) -> str:
        return f"{self.target_type}:{self.value}"
