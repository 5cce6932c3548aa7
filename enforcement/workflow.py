"""The action workflow: propose, approve, reject, withdraw, override, revert, retry, expire.

Pages, the API, the admin and the beat sweeper all call these functions;
none of them contains workflow logic. Each step locks the action row,
checks its state and the actor's roles, writes the change and one audit
event in one transaction, and enqueues execution on commit.

Being a superuser exempts nobody: only roles count, and approval needs a
lead who is not the proposer (nor, for a second approval, the first approver).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from audit.events import record
from cases.models import (
    KIND_TARGET_TYPES,
    LIVE_ACTION_STATES,
    Account,
    Action,
    ActionKind,
    ActionState,
    ActionTarget,
    Case,
    CaseStatus,
    TargetState,
    TargetType,
)
from cases.visibility import can_see
from cases.workflow.common import lock_case
from enforcement import case_side
from people.roles import Role, has_role

PROPOSER_ROLES = (Role.INVESTIGATOR, Role.LEAD)
APPROVER_ROLES = (Role.LEAD,)
# Resuming a paused action is fixing the system, so administrators may too.
RETRY_ROLES = (Role.LEAD, Role.ADMINISTRATOR)

AWAITING_DECISION = (ActionState.PROPOSED, ActionState.AWAITING_SECOND_APPROVAL)
REVERTIBLE_ACTION_STATES = (ActionState.EXECUTED, ActionState.PARTIALLY_FAILED)
REVERTIBLE_TARGET_STATES = (TargetState.EXECUTED, TargetState.REVERT_FAILED)
# Cases an action may be proposed on; proposing moves them to pending_action.
PROPOSABLE_CASE_STATUSES = (
    CaseStatus.INVESTIGATING,
    CaseStatus.ESCALATED,
    CaseStatus.PENDING_ACTION,
)


class ActionRefused(Exception):
    """A step this actor may not take, or not in this state. The message says why."""

    code = "refused"


class NotPermitted(ActionRefused):
    code = "not_permitted"


class WrongState(ActionRefused):
    code = "wrong_state"


class InvalidProposal(ActionRefused):
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TargetSpec:
    type: str
    value: str


# --- helpers ---------------------------------------------------------------


def _enqueue(action_id: int) -> None:
    from enforcement.tasks import process_action

    # robust: with the broker down the step is still committed; the sweeper
    # finds the action and enqueues it later.
    transaction.on_commit(lambda: process_action.delay(action_id), robust=True)


def _lock(action_id: int) -> Action:
    try:
        return Action.objects.select_for_update().get(pk=action_id)
    except Action.DoesNotExist:
        raise ActionRefused(f"There is no action {action_id}.") from None


def _lock_with_case(action_id: int) -> tuple[Case, Action]:
    try:
        return case_side.lock_case_and_action(action_id)
    except Action.DoesNotExist:
        raise ActionRefused(f"There is no action {action_id}.") from None


def _snapshot(action: Action) -> dict:
    return {"state": action.state}


def _refuse(verb: str, action_id: int, actor, exc: ActionRefused, case_id: int | None) -> None:
    """Audit a refused step in its own transaction, so the refusal survives the rollback."""
    with transaction.atomic():
        action = Action.objects.filter(pk=action_id).first()
        record(
            f"action.{verb}_refused",
            actor=actor,
            target=action,
            cases=[action.case_id] if action else ([case_id] if case_id else []),
            reason=str(exc),
        )


def _refusing(verb: str):
    """Run a step; a refusal is audited and raised again."""

    def wrap(func):
        def step(action_id: int, *args, actor=None, **kwargs):
            try:
                return func(action_id, *args, actor=actor, **kwargs)
            except ActionRefused as exc:
                _refuse(verb, action_id, actor, exc, None)
                raise

        step.__name__ = func.__name__
        step.__doc__ = func.__doc__
        step.__wrapped__ = func
        return step

    return wrap


def two_approval_kinds() -> frozenset[str]:
    return frozenset(getattr(settings, "ACTIONS_TWO_APPROVAL_KINDS", ()))


def _normalise_value(target_type: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidProposal("A target needs a value.", "targets")
    try:
        if target_type == TargetType.IP:
            return str(ipaddress.ip_address(value))
        if target_type == TargetType.CIDR:
            return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise InvalidProposal(f"{value!r} is not a valid {target_type}.", "targets") from None
    if target_type == TargetType.ASN:
        match = re.fullmatch(r"(?:as)?(\d+)(?:\.(\d+))?", value, re.IGNORECASE)
        if not match:
            raise InvalidProposal(f"{value!r} is not an ASN.", "targets")
        number = int(match[1]) if match[2] is None else int(match[1]) * 65536 + int(match[2])
        if number > 4294967295:
            raise InvalidProposal(f"{value!r} is not an ASN.", "targets")
        return f"AS{number}"
    if target_type == TargetType.PARTNER:
        partners = set(getattr(settings, "ENFORCEMENT_PARTNERS", ()))
        if value not in partners:
            raise InvalidProposal(f"{value!r} is not a configured partner.", "targets")
    return value


def _validate_params(kind: str, params: dict | None) -> dict:
    params = dict(params or {})
    if kind == ActionKind.RATE_LIMIT:
        rpm = params.get("requests_per_minute")
        if (
            not isinstance(rpm, int)
            or isinstance(rpm, bool)
            or rpm < 0
            or set(params) != {"requests_per_minute"}
        ):
            raise InvalidProposal(
                'rate_limit needs params {"requests_per_minute": an integer >= 0}.', "params"
            )
        return params
    if kind == ActionKind.NOTIFY_PARTNER:
        summary = params.get("summary")
        if not isinstance(summary, str) or not summary.strip() or set(params) != {"summary"}:
            raise InvalidProposal('notify_partner needs params {"summary": text}.', "params")
        return params
    if params:
        raise InvalidProposal(f"{kind} takes no params.", "params")
    return params


# --- propose ---------------------------------------------------------------


def propose_action(
    case_id: int,
    *,
    actor,
    kind: str,
    targets: Iterable[TargetSpec | tuple[str, str]] | None = None,
    params: dict | None = None,
    notice: str = "",
    rationale: str = "",
    expires_at: datetime | None = None,
) -> Action:
    """Propose an action on a case; the case moves to ``pending_action``.

    ``targets=None`` for an account kind means every account linked to the
    case. Protected accounts are recorded but excluded until a lead overrides
    them one by one.
    """
    try:
        return _propose(
            case_id,
            actor=actor,
            kind=kind,
            targets=targets,
            params=params,
            notice=notice,
            rationale=rationale,
            expires_at=expires_at,
        )
    except ActionRefused as exc:
        with transaction.atomic():
            record(
                "action.propose_refused",
                actor=actor,
                cases=[case_id] if Case.objects.filter(pk=case_id).exists() else [],
                after={"kind": kind},
                reason=str(exc),
            )
        raise


def _propose(case_id, *, actor, kind, targets, params, notice, rationale, expires_at) -> Action:
    if not has_role(actor, *PROPOSER_ROLES):
        raise NotPermitted("Only investigators and leads propose actions.")
    if kind not in ActionKind.values:
        raise InvalidProposal(f"{kind!r} is not an action kind.", "kind")
    params = _validate_params(kind, params)
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidProposal("The expiry must be in the future.", "expires_at")
    allowed_types = KIND_TARGET_TYPES[kind]

    with transaction.atomic():
        try:
            case = lock_case(case_id)
        except Case.DoesNotExist:
            raise ActionRefused(f"There is no case {case_id}.") from None
        if not can_see(actor, case):
            raise NotPermitted("This case is restricted.")
        if case.status not in PROPOSABLE_CASE_STATUSES:
            raise WrongState(
                f"Actions are proposed on investigating or escalated cases; "
                f"this one is {case.get_status_display().lower()}."
            )
        if targets is None:
            if TargetType.ACCOUNT not in allowed_types:
                raise InvalidProposal(f"{kind} needs targets.", "targets")
            account_rows = list(
                Account.objects.filter(case_links__case=case)
                .order_by("external_id")
                .values_list("id", "external_id", "is_protected")
            )
            specs = [TargetSpec(TargetType.ACCOUNT, ext) for _, ext, _ in account_rows]
        else:
            specs = [t if isinstance(t, TargetSpec) else TargetSpec(*t) for t in targets]
        if not specs:
            raise InvalidProposal("An action needs at least one target.", "targets")

        normalised: dict[tuple[str, str], None] = {}
        for spec in specs:
            if spec.type not in allowed_types:
                raise InvalidProposal(
                    f"{kind} does not target {spec.type} (it targets "
                    f"{', '.join(sorted(allowed_types))}).",
                    "targets",
                )
            normalised[(spec.type, _normalise_value(spec.type, spec.value))] = None

        account_values = [v for t, v in normalised if t == TargetType.ACCOUNT]
        accounts = {
            ext: (pk, protected)
            for pk, ext, protected in Account.objects.filter(
                external_id__in=account_values
            ).values_list("id", "external_id", "is_protected")
        }
        unknown = [v for v in account_values if v not in accounts]
        if unknown:
            raise InvalidProposal(
                f"Unknown account(s): {', '.join(unknown[:5])}"
                + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""),
                "targets",
            )

        action = Action.objects.create(
            case=case,
            kind=kind,
            params=params,
            notice=notice.strip(),
            rationale=rationale.strip(),
            expires_at=expires_at,
            approvals_required=2 if kind in two_approval_kinds() else 1,
            proposed_by=actor,
        )
        rows = []
        for target_type, value in normalised:
            account_id, protected = accounts.get(value, (None, False))
            if target_type != TargetType.ACCOUNT:
                account_id, protected = None, False
            rows.append((target_type, value, account_id, protected))
        _insert_targets(action.pk, rows)
        excluded = sum(1 for row in rows if row[3])
        try:
            case_before, case_after = case_side.action_proposed(case, actor=actor)
        except case_side.CaseRefused as exc:
            raise WrongState(str(exc)) from exc
        record(
            "action.proposed",
            actor=actor,
            target=action,
            cases=[case.pk],
            before=case_before,
            after={
                **case_after,
                "action": action.pk,
                "kind": kind,
                "targets": len(rows),
                "protected_excluded": excluded,
                "params": params,
                "notice": action.notice,
                "expires_at": expires_at.isoformat() if expires_at else None,
                "approvals_required": action.approvals_required,
            },
            reason=action.rationale,
        )
        case_side.published(case, "action.proposed")
    return action


def _insert_targets(action_id: int, rows: list[tuple[str, str, int | None, bool]]) -> None:
    """One INSERT from arrays: an action may hold 10,000 targets."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_actiontarget"
            " (action_id, target_type, value, account_id, is_protected, state)"
            " SELECT %s, t.type, t.value, t.account_id, t.protected,"
            " CASE WHEN t.protected THEN %s ELSE %s END"
            " FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::boolean[])"
            " AS t(type, value, account_id, protected)",
            [
                action_id,
                TargetState.EXCLUDED,
                TargetState.PENDING,
                [r[0] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
                [r[3] for r in rows],
            ],
        )


# --- decide ----------------------------------------------------------------


@_refusing("approve")
def approve_action(action_id: int, *, actor, comment: str = "") -> Action:
    """Approve (first or second approval). The approver must be a lead other than
    the proposer and, for a second approval, other than the first approver."""
    with transaction.atomic():
        action = _lock(action_id)
        if not has_role(actor, *APPROVER_ROLES):
            raise NotPermitted("Only leads approve actions.")
        if action.proposed_by_id == actor.pk:
            raise NotPermitted("The proposer of an action cannot approve it.")
        if action.state not in AWAITING_DECISION:
            raise WrongState(
                f"This action is {action.get_state_display().lower()}, not awaiting approval."
            )
        if (
            action.state == ActionState.AWAITING_SECOND_APPROVAL
            and action.approved_by_id == actor.pk
        ):
            raise NotPermitted("The second approval must come from another lead.")
        if not action.targets.exclude(state=TargetState.EXCLUDED).exists():
            raise WrongState(
                "Every target is a protected account; override at least one before approving."
            )
        before = _snapshot(action)
        now = timezone.now()
        comment = comment.strip()
        if action.state == ActionState.PROPOSED:
            action.approved_by, action.approved_at, action.approval_comment = actor, now, comment
            second = False
        else:
            action.second_approved_by = actor
            action.second_approved_at = now
            action.second_approval_comment = comment
            second = True
        approvals = 2 if second else 1
        if approvals >= action.approvals_required:
            action.state = ActionState.APPROVED
            action.decided_by, action.decided_at = actor, now
            _enqueue(action.pk)
        else:
            action.state = ActionState.AWAITING_SECOND_APPROVAL
        action.save()
        record(
            "action.second_approved" if second else "action.approved",
            actor=actor,
            target=action,
            cases=[action.case_id],
            before=before,
            after=_snapshot(action),
            reason=comment,
        )
    return action


@_refusing("reject")
def reject_action(action_id: int, *, actor, comment: str = "") -> Action:
    with transaction.atomic():
        case, action = _lock_with_case(action_id)
        if not has_role(actor, *APPROVER_ROLES):
            raise NotPermitted("Only leads reject actions.")
        if action.proposed_by_id == actor.pk:
            raise NotPermitted("The proposer withdraws an action rather than rejecting it.")
        if action.state not in AWAITING_DECISION:
            raise WrongState(
                f"This action is {action.get_state_display().lower()}, not awaiting approval."
            )
        before = _snapshot(action)
        action.state = ActionState.REJECTED
        action.decided_by, action.decided_at = actor, timezone.now()
        action.decision_reason = comment.strip()
        action.save()
        case_before, case_after = case_side.action_settled(case, actor=actor)
        record(
            "action.rejected",
            actor=actor,
            target=action,
            cases=[action.case_id],
            before={**case_before, **before},
            after={**case_after, **_snapshot(action)},
            reason=action.decision_reason,
        )
        case_side.published(case, "action.rejected")
    return action


@_refusing("withdraw")
def withdraw_action(action_id: int, *, actor, reason: str = "") -> Action:
    """The proposer (or a lead) takes back an action not yet approved."""
    with transaction.atomic():
        case, action = _lock_with_case(action_id)
        if not has_role(actor, *PROPOSER_ROLES):
            raise NotPermitted("Only investigators and leads withdraw actions.")
        if action.proposed_by_id != actor.pk and not has_role(actor, Role.LEAD):
            raise NotPermitted("Only the proposer or a lead withdraws an action.")
        if action.state not in AWAITING_DECISION:
            raise WrongState(
                f"This action is {action.get_state_display().lower()}; it can no longer be withdrawn."
            )
        before = _snapshot(action)
        action.state = ActionState.WITHDRAWN
        action.decided_by, action.decided_at = actor, timezone.now()
        action.decision_reason = reason.strip()
        action.save()
        case_before, case_after = case_side.action_settled(case, actor=actor)
        record(
            "action.withdrawn",
            actor=actor,
            target=action,
            cases=[action.case_id],
            before={**case_before, **before},
            after={**case_after, **_snapshot(action)},
            reason=action.decision_reason,
        )
        case_side.published(case, "action.withdrawn")
    return action


@_refusing("override")
def override_protected(action_id: int, target_id: int, *, actor, reason: str) -> ActionTarget:
    """A lead includes one protected account in the action, saying why."""
    with transaction.atomic():
        action = _lock(action_id)
        if not has_role(actor, Role.LEAD):
            raise NotPermitted("Only a lead overrides a protected account.")
        if action.state not in AWAITING_DECISION:
            raise WrongState("Protected accounts are overridden before the action is approved.")
        if not reason.strip():
            raise InvalidProposal("An override needs a reason.", "reason")
        target = ActionTarget.objects.filter(action=action, pk=target_id).first()
        if target is None or target.state != TargetState.EXCLUDED:
            raise WrongState("That target is not an excluded protected account.")
        target.state = TargetState.PENDING
        target.override_by = actor
        target.override_reason = reason.strip()
        target.save(update_fields=["state", "override_by", "override_reason"])
        record(
            "action.protected_overridden",
            actor=actor,
            target=action,
            cases=[action.case_id],
            before={"target": target.value, "state": TargetState.EXCLUDED},
            after={"target": target.value, "state": TargetState.PENDING},
            reason=target.override_reason,
        )
    return target


# --- after execution -------------------------------------------------------


@_refusing("revert")
def revert_action(
    action_id: int, *, actor=None, system: str | None = None, target_ids=None, reason: str = ""
) -> Action:
    """Undo a carried-out action: every executed target, or only ``target_ids``."""
    with transaction.atomic():
        action = _lock(action_id)
        if system is None and not has_role(actor, Role.LEAD):
            raise NotPermitted("Only leads revert actions.")
        if action.state not in REVERTIBLE_ACTION_STATES:
            raise WrongState(
                f"This action is {action.get_state_display().lower()}; only executed actions are reverted."
            )
        targets = ActionTarget.objects.filter(action=action, state__in=REVERTIBLE_TARGET_STATES)
        if target_ids is not None:
            ids = {int(t) for t in target_ids}
            targets = targets.filter(pk__in=ids)
            if targets.count() != len(ids):
                raise WrongState("Only executed targets of this action can be reverted.")
        before = _snapshot(action)
        count = targets.update(
            state=TargetState.REVERT_PENDING, attempts=0, error="", next_attempt_at=None
        )
        if not count:
            raise WrongState("There is nothing left to revert.")
        action.state = ActionState.REVERTING
        action.save(update_fields=["state"])
        _enqueue(action.pk)
        record(
            "action.revert_requested",
            actor=actor,
            system=system,
            target=action,
            cases=[action.case_id],
            before=before,
            after={**_snapshot(action), "targets": count, "all": target_ids is None},
            reason=reason.strip(),
        )
    return action


@_refusing("retry")
def retry_action(action_id: int, *, actor, reason: str = "") -> Action:
    """Resume an action paused on a configuration fault."""
    with transaction.atomic():
        action = _lock(action_id)
        if not has_role(actor, *RETRY_ROLES):
            raise NotPermitted("Only leads and administrators resume a paused action.")
        if action.state != ActionState.PAUSED:
            raise WrongState(f"This action is {action.get_state_display().lower()}, not paused.")
        before = _snapshot(action)
        reverting = action.targets.filter(
            state__in=(TargetState.REVERT_PENDING, TargetState.REVERTING)
        ).exists()
        action.state = ActionState.REVERTING if reverting else ActionState.EXECUTING
        action.paused_reason = ""
        action.save(update_fields=["state", "paused_reason"])
        _enqueue(action.pk)
        record(
            "action.resumed",
            actor=actor,
            target=action,
            cases=[action.case_id],
            before=before,
            after=_snapshot(action),
            reason=reason.strip(),
        )
    return action


def expire_due_actions(now: datetime | None = None) -> list[int]:
    """Revert every carried-out action whose expiry has passed (run by the sweeper)."""
    now = now or timezone.now()
    due = list(
        Action.objects.filter(state__in=REVERTIBLE_ACTION_STATES, expires_at__lte=now)
        # Only still-applied targets: a revert the platform refused is not retried forever.
        .filter(targets__state=TargetState.EXECUTED)
        .values_list("pk", flat=True)
        .distinct()
    )
    expired = []
    for action_id in due:
        try:
            revert_action(action_id, system="expiry", reason="The action expired.")
        except ActionRefused:
            continue  # changed state meanwhile; the next sweep looks again
        expired.append(action_id)
    return expired


# --- reading ---------------------------------------------------------------


def progress(action: Action | int) -> dict[str, int]:
    """Per-state target counts, one GROUP BY on the (action, state) index."""
    action_id = action.pk if isinstance(action, Action) else action
    counts = {state: 0 for state in TargetState.values}
    for row in (
        ActionTarget.objects.filter(action_id=action_id)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["state"]] = row["n"]
    counts["total"] = sum(counts[s] for s in TargetState.values)
    return counts


def open_actions_on(case_id: int) -> bool:
    return Action.objects.filter(case_id=case_id, state__in=LIVE_ACTION_STATES).exists()
