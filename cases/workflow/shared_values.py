"""The known-shared list, and the values flagged for review: leads' decisions.

A value on the list joins no case from the next imported batch on
(``ingestion.importing`` reads the list under its correlation lock). Adding
and removing are leads' decisions, each with a reason and one audit event in
the same transaction.

The import flags a strong value on a case (``ReviewFlag``) when it ties the
case to cases people have worked, or reaches a protected account. A lead
decides each flag: ``resolve_flag`` puts the value on the list (closing its
open flags on every case) or dismisses the flag on this case.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.events import record, record_many
from cases.indicator_values import InvalidIndicator, normalise_stored_form
from cases.models import (
    STRONG_INDICATOR_TYPES,
    IndicatorType,
    KnownSharedValue,
    ReviewFlag,
    ReviewFlagStatus,
)
from cases.workflow.common import clean_text, lock_case, publish_on_commit, refusal_audited
from cases.workflow.may import (
    KNOWN_SHARED_ROLES,
    may_keep_known_shared,
    may_resolve_flag,
    needs_roles,
    needs_roles_for,
)
from core import text_limits as limits
from core.refusals import Conflict, Invalid, NotFound

ADDED = "known_shared.added"
REMOVED = "known_shared.removed"
FLAG_LISTED = "review_flag.listed"
FLAG_DISMISSED = "review_flag.dismissed"
# What a lead may decide about a flag.
LIST = "list"
DISMISS = "dismiss"
DECISIONS = (LIST, DISMISS)


def shared_value_form(indicator_type: str, value: str) -> tuple[str, str]:
    """The (type, stored value) a lead's input names; ``Invalid`` naming the field if wrong."""
    indicator_type = clean_text(indicator_type)
    if indicator_type not in STRONG_INDICATOR_TYPES:
        strong = ", ".join(sorted(str(t) for t in STRONG_INDICATOR_TYPES))
        raise Invalid(
            f"Only strong values join cases, so only they are listed: {strong}.", field="type"
        )
    try:
        return indicator_type, normalise_stored_form(indicator_type, clean_text(value))
    except InvalidIndicator as exc:
        raise Invalid(str(exc), field="value") from None


def _reason(reason: str) -> str:
    reason = clean_text(reason)
    if not reason:
        raise Invalid(
            "Say why: the reason is kept with the entry and on the trail.", field="reason"
        )
    if error := limits.too_long(reason, limits.DECISION, "The reason"):
        raise Invalid(error, field="reason")
    return reason


@refusal_audited("add_known_shared")
def add_known_shared(indicator_type: str, value: str, *, actor, reason: str) -> KnownSharedValue:
    """Put a strong value on the known-shared list; it joins nothing from the next batch on."""
    if not may_keep_known_shared(actor):
        raise needs_roles_for(KNOWN_SHARED_ROLES, "Keeping the known-shared list")
    indicator_type, value = shared_value_form(indicator_type, value)
    reason = _reason(reason)
    label = IndicatorType(indicator_type).label.lower()
    with transaction.atomic():
        try:
            with transaction.atomic():
                entry = KnownSharedValue.objects.create(
                    type=indicator_type, value=value, reason=reason, added_by=actor
                )
        except IntegrityError:
            raise Conflict(f"The {label} {value} is already on the known-shared list.") from None
        record(
            ADDED,
            actor=actor,
            target=entry,
            after={"type": indicator_type, "value": value},
            reason=reason,
        )
    return entry


@refusal_audited("remove_known_shared")
def remove_known_shared(entry: KnownSharedValue | int, *, actor, reason: str) -> None:
    """Take a value off the list: it joins cases again from the next batch on."""
    if not may_keep_known_shared(actor):
        raise needs_roles_for(KNOWN_SHARED_ROLES, "Keeping the known-shared list")
    reason = _reason(reason)
    pk = entry.pk if isinstance(entry, KnownSharedValue) else int(entry)
    with transaction.atomic():
        entry = KnownSharedValue.objects.select_for_update().filter(pk=pk).first()
        if entry is None:
            raise NotFound("That value is not on the known-shared list (any more).")
        before = {
            "type": entry.type,
            "value": entry.value,
            "reason": entry.reason,
            "added_by": entry.added_by.get_username(),
            "added_at": entry.added_at,
        }
        KnownSharedValue.objects.filter(pk=pk).delete()
        record(REMOVED, actor=actor, target=entry, before=before, reason=reason)


@refusal_audited("resolve_review_flag")
def resolve_flag(flag: ReviewFlag | int, decision: str, *, actor, reason: str) -> ReviewFlag:
    """Decide a flagged value: ``"list"`` puts it on the known-shared list and
    closes its open flags on every case; ``"dismiss"`` closes this flag only."""
    pk = flag.pk if isinstance(flag, ReviewFlag) else int(flag)
    with transaction.atomic():
        found = ReviewFlag.objects.filter(pk=pk).values_list("case_id", flat=True).first()
        if found is None:
            raise NotFound("No such review flag.")
        case = lock_case(found)
        if not may_resolve_flag(actor, case):
            raise needs_roles(KNOWN_SHARED_ROLES, "Deciding a flagged value", case)
        if decision not in DECISIONS:
            raise Invalid(f"Decide {LIST!r} or {DISMISS!r}.", field="decision")
        reason = _reason(reason)
        flag = ReviewFlag.objects.select_related("indicator").select_for_update().get(pk=pk)
        if not flag.is_open:
            raise Conflict(
                f"The flag on {flag.indicator.value} was already decided "
                f"({flag.get_status_display().lower()})."
            )
        indicator = flag.indicator
        now = timezone.now()
        events: list[dict] = []
        if decision == DISMISS:
            closed = [flag]
            status, verb = ReviewFlagStatus.DISMISSED, FLAG_DISMISSED
        else:
            closed = list(
                ReviewFlag.objects.select_for_update()
                .filter(indicator=indicator, status=ReviewFlagStatus.OPEN)
                .order_by("case_id")
            )
            status, verb = ReviewFlagStatus.LISTED, FLAG_LISTED
            entry = KnownSharedValue.objects.filter(
                type=indicator.type, value=indicator.value
            ).first()
            if entry is None:
                entry = KnownSharedValue.objects.create(
                    type=indicator.type, value=indicator.value, reason=reason, added_by=actor
                )
                events.append(
                    {
                        "verb": ADDED,
                        "actor": actor,
                        "target": entry,
                        "after": {"type": entry.type, "value": entry.value, "flag": flag.pk},
                        "reason": reason,
                    }
                )
        ReviewFlag.objects.filter(pk__in=[f.pk for f in closed]).update(
            status=status, resolved_by=actor, resolved_at=now, resolution_reason=reason
        )
        events.append(
            {
                "verb": verb,
                "actor": actor,
                "target": indicator,
                "cases": sorted({f.case_id for f in closed}),
                "before": {"status": ReviewFlagStatus.OPEN},
                "after": {
                    "status": status,
                    "flags": [f.pk for f in closed],
                    "type": indicator.type,
                    "value": indicator.value,
                },
                "reason": reason,
            }
        )
        record_many(events)
        publish_on_commit(case, verb)
    flag.refresh_from_db()
    return flag
