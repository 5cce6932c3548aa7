"""The known-shared list: strong values leads say honest customers share.

A value on the list joins no case from the next imported batch on
(``ingestion.importing`` reads the list under its correlation lock). Adding
and removing are leads' decisions, each with a reason and one audit event in
the same transaction.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from audit.events import record
from cases.indicator_values import InvalidIndicator, normalise_stored_form
from cases.models import STRONG_INDICATOR_TYPES, IndicatorType, KnownSharedValue
from cases.workflow.common import clean_text, refusal_audited
from cases.workflow.may import KNOWN_SHARED_ROLES, may_keep_known_shared, needs_roles_for
from core.refusals import Conflict, Invalid, NotFound

ADDED = "known_shared.added"
REMOVED = "known_shared.removed"


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
