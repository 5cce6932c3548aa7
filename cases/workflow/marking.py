"""How a case is marked: its TLP (who may see it) and its tags."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.events import record
from cases.models import Case, Tlp
from cases.workflow import versions
from cases.workflow.common import (
    check_length,
    clean_text,
    lock_case,
    publish_on_commit,
    refusal_audited,
    touch,
)
from cases.workflow.may import (
    LOWERING_RED_ROLES,
    MARKING_ROLES,
    may_mark,
    may_set_tlp,
    needs_roles,
)
from core import text_limits as limits

TAG_MAX_LENGTH = limits.TAG
TAGS_MAX = 50


@refusal_audited("set_tlp")
def set_tlp(
    case: Case | int, tlp: str, *, actor, reason: str = "", version: int | None = None
) -> Case:
    """Mark the case TLP ``tlp``; from TLP:RED to anything lower only a lead does."""
    check_length(reason, "reason", limits.REASON, "The reason")
    with transaction.atomic():
        case = lock_case(case, version, edits=[versions.TLP])
        if not may_mark(actor, case):
            raise needs_roles(MARKING_ROLES, "Changing the TLP marking", case)
        if tlp not in Tlp.values:
            raise ValidationError({"tlp": f"Unknown TLP marking {tlp!r}."})
        if tlp == case.tlp:
            raise ValidationError({"tlp": f"Case #{case.pk} is already {Tlp(tlp).label}."})
        if not may_set_tlp(actor, case, tlp):
            raise needs_roles(LOWERING_RED_ROLES, "Lowering TLP:RED", case)
        before = {"tlp": case.tlp}
        case.tlp = tlp
        touch(case, actor, ["tlp"])
        record(
            "case.tlp_changed",
            actor=actor,
            target=case,
            cases=[case],
            before=before,
            after={"tlp": tlp},
            reason=clean_text(reason),
        )
        publish_on_commit(case, "case.tlp_changed")
    return case


def clean_tags(tags: Iterable[str], field: str) -> list[str]:
    """Tags as stored: trimmed, none empty, none longer than ``TAG_MAX_LENGTH``, each once."""
    cleaned: list[str] = []
    for tag in tags:
        tag = clean_text(tag)
        if not tag:
            raise ValidationError({field: "A tag cannot be empty."})
        if error := limits.too_long(tag, TAG_MAX_LENGTH, "A tag"):
            raise ValidationError({field: error})
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


@refusal_audited("change_tags")
def change_tags(
    case: Case | int,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    actor,
) -> Case:
    """Add and remove tags in one step.

    Adding a tag already there or removing one that is not is refused: each
    tag asked for is checked against the case as it is, so the trail records
    only real changes and no version is needed. Colleagues tagging the same
    case at once do not conflict unless they touch the same tag.
    """
    add, remove = clean_tags(add, "add"), clean_tags(remove, "remove")
    with transaction.atomic():
        case = lock_case(case)
        if not may_mark(actor, case):
            raise needs_roles(MARKING_ROLES, "Changing tags", case)
        if not add and not remove:
            raise ValidationError({"add": "Name a tag to add or remove."})
        before = list(case.tags)
        if present := [tag for tag in add if tag in before]:
            raise ValidationError({"add": f"Already tagged {', '.join(present)}."})
        if absent := [tag for tag in remove if tag not in before]:
            raise ValidationError({"remove": f"Not tagged {', '.join(absent)}."})
        after = [tag for tag in before if tag not in remove] + add
        if len(after) > TAGS_MAX:
            raise ValidationError({"add": f"A case has at most {TAGS_MAX} tags."})
        case.tags = after
        touch(case, actor, ["tags"])
        record(
            "case.tags_changed",
            actor=actor,
            target=case,
            cases=[case],
            before={"tags": before},
            after={"tags": after, "added": add, "removed": remove},
        )
        publish_on_commit(case, "case.tags_changed")
    return case
