"""Proposing an action: validated targets and params, protected accounts excluded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from audit.events import record, record_refusal
from cases.models import Account, Case
from cases.workflow import (
    OperationRefused,
    TransitionRefused,
    case_follows_proposal,
    lock_case_for_proposal,
    publish_on_commit,
)
from core.refusals import audits_refusals
from enforcement.models import KIND_TARGET_TYPES, Action, ActionKind, TargetState, TargetType
from enforcement.workflow.common import (
    ActionRefused,
    InvalidProposal,
    NotPermitted,
    TargetSpec,
    Unknown,
    WrongState,
    _normalise_value,
    _validate_params,
    two_approval_kinds,
)
from enforcement.workflow.may import (
    proposal_refusal,
    refuse_if,
)


def _refused(exc: ActionRefused, case_id: int, *args, actor=None, kind="", **kwargs) -> None:
    record_refusal(
        "action.propose_refused",
        exc,
        actor=actor,
        cases=[case_id] if Case.objects.filter(pk=case_id).exists() else [],
        after={"kind": kind},
    )


@audits_refusals(_refused, kinds=(ActionRefused,))
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
    them one by one. A refusal leaves ``action.propose_refused`` on the trail.
    """
    refuse_if(proposal_refusal(actor))
    if kind not in ActionKind.values:
        raise InvalidProposal(f"{kind!r} is not an action kind.", "kind")
    params = _validate_params(kind, params)
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidProposal("The expiry must be in the future.", "expires_at")
    allowed_types = KIND_TARGET_TYPES[kind]

    with transaction.atomic():
        try:
            case = lock_case_for_proposal(case_id, actor=actor)
        except Case.DoesNotExist:
            raise Unknown(f"There is no case {case_id}.") from None
        except OperationRefused as exc:
            raise NotPermitted(str(exc)) from None
        refuse_if(proposal_refusal(actor, case))
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
            case_before, case_after = case_follows_proposal(case, actor=actor)
        except TransitionRefused as exc:
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
        publish_on_commit(case, "action.proposed")
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
