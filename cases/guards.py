"""What pages and API do around a workflow call: stale-version checks and refusals.

The workflow decides what is allowed; this module only makes sure a change
was based on what the person last saw, and that a forced, refused operation
leaves a trace in the trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from audit.events import record
from cases.models import Case


class StaleCase(Exception):
    """The case changed after the form was shown; nothing was changed."""

    def __init__(self, case: Case, seen_version: int) -> None:
        self.case = case
        self.seen_version = seen_version
        who = case.updated_by.get_username() if case.updated_by else "the system"
        when = case.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        self.changed_by = who
        self.changed_at = case.updated_at
        super().__init__(
            f"Case #{case.pk} was changed by {who} at {when} after you loaded it "
            f"(version {case.version}, yours {seen_version}). Nothing was changed: "
            "review the case and try again."
        )


@contextmanager
def based_on(case_id: int, version: int | None) -> Iterator[Case]:
    """Run a workflow call only if the case is still at ``version``.

    The row lock taken here is held until the workflow call (which locks the
    same row again in the same transaction) has written its change, so no
    other change can slip in between the check and the write.
    """
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("updated_by")
            .get(pk=case_id)
        )
        if version is not None and case.version != version:
            raise StaleCase(case, version)
        yield case


def record_refusal(actor, case: Case, operation: str, message: str) -> None:
    """Audit an operation the actor's roles do not allow (its own transaction)."""
    with transaction.atomic():
        record(
            "case.operation_refused",
            actor=actor,
            target=case,
            cases=[case],
            after={"operation": operation},
            reason=message,
        )
