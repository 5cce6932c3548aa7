"""Who is told of what: the one place that decides (docs/notifications.md).

``deliveries`` reads one audit event and answers the people to tell, the kind
of entry each gets and its text. The actor is never told of their own step,
people who may not see the case (``cases.visibility``) are never told of it,
and inactive accounts are told nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from audit.models import AuditEvent
from cases.models import Case
from cases.visibility import can_see
from enforcement.models import Action, ActionState
from notifications.models import Kind
from people.roles import Role

TEXT_LIMIT = 300


@dataclass(frozen=True)
class Delivery:
    person: AbstractBaseUser
    kind: Kind
    text: str


# The verbs that tell anyone anything (``_decide``): the sweep looks for no others.
NOTIFIED_VERBS: frozenset[str] = frozenset(
    {
        "case.assigned",
        "case.escalated",
        "case.handed_back",
        "case.reopened",
        "case.sla_breached",
        "case.merged_into",
        "action.proposed",
        "action.approved",
        "action.second_approved",
        "action.rejected",
        "action.paused",
        "action.executed",
    }
)


def deliveries(event: AuditEvent, case: Case, action: Action | None) -> list[Delivery]:
    """The entries ``event`` (on ``case``, and ``action`` for enforcement steps) makes."""
    found = _decide(event, case, action) if event.verb in NOTIFIED_VERBS else None
    if found is None:
        return []
    kind, people, text = found
    return [
        Delivery(person, kind, text[:TEXT_LIMIT])
        for person in people
        if person.pk != event.actor_id and can_see(person, case)
    ]


def _decide(
    event: AuditEvent, case: Case, action: Action | None
) -> tuple[Kind, list[AbstractBaseUser], str] | None:
    who, verb, after = event.actor_label, event.verb, event.after or {}
    number = f"case #{case.pk}"
    if verb == "case.assigned":
        return (
            Kind.CASE_ASSIGNED,
            _named(after.get("assignee")),
            f"{_cap(number)} was assigned to you by {who}.",
        )
    if verb == "case.escalated":
        level = str(after.get("escalation_level") or case.escalation_level)
        return (
            Kind.CASE_ESCALATED,
            _holders(Role(level)),
            _why(f"{_cap(number)} was escalated to {level} by {who}", event.reason),
        )
    if verb == "case.handed_back":
        people = _people([case.assignee_id, _escalated_by(event, case)])
        return (
            Kind.CASE_HANDED_BACK,
            people,
            _why(f"{_cap(number)} was handed back by {who}", event.reason),
        )
    if verb == "case.reopened":
        return (
            Kind.CASE_REOPENED,
            _people([case.assignee_id]),
            f"{_cap(number)}, which you work, was reopened by {who}.",
        )
    if verb == "case.sla_breached":
        # Marked once per breach by beat (cases.workflow.breaches): one entry each.
        leads = _holders(Role.LEAD)
        assignee = [p for p in _people([case.assignee_id]) if p not in leads]
        return (
            Kind.SLA_BREACHED,
            [*assignee, *leads],
            f"The SLA of {number} ({case.get_severity_display().lower()}) was breached: "
            f"it was due {_when(after.get('sla_due_at'))}.",
        )
    if verb == "case.merged_into":
        survivor = after.get("merged_into")
        return (
            Kind.CASE_MERGED,
            _people([case.assignee_id]),
            f"{_cap(number)}, which you work, was merged into case #{survivor} by {who}.",
        )
    if action is None:
        return None
    return _action_step(event, action, number, who)


def _action_step(
    event: AuditEvent, action: Action, number: str, who: str
) -> tuple[Kind, list[AbstractBaseUser], str] | None:
    verb, state = event.verb, (event.after or {}).get("state")
    name = f"action #{action.pk} ({action.get_kind_display().lower()}) on {number}"
    proposer = _people([action.proposed_by_id])
    if verb == "action.proposed" or (
        verb == "action.approved" and state == ActionState.AWAITING_SECOND_APPROVAL
    ):
        which = "a second approval" if verb == "action.approved" else "your approval"
        deciders = [action.proposed_by_id, action.approved_by_id]
        leads = [lead for lead in _holders(Role.LEAD) if lead.pk not in deciders]
        proposed_by = action.proposed_by.get_username()
        return (
            Kind.APPROVAL_AWAITED,
            leads,
            f"{_cap(name)}, proposed by {proposed_by}, awaits {which}.",
        )
    if verb in ("action.approved", "action.second_approved") and state == ActionState.APPROVED:
        return Kind.ACTION_APPROVED, proposer, f"Your {name} was approved by {who}."
    if verb == "action.rejected":
        return Kind.ACTION_REJECTED, proposer, f"Your {name} was rejected by {who}: {event.reason}"
    if verb == "action.paused":
        return Kind.ACTION_PAUSED, proposer, f"Your {name} was paused: {event.reason}"
    if verb == "action.executed":
        outcome = {
            ActionState.EXECUTED: (Kind.ACTION_EXECUTED, "was carried out"),
            ActionState.PARTIALLY_FAILED: (
                Kind.ACTION_PARTIALLY_FAILED,
                "was carried out on some targets and failed on others",
            ),
            ActionState.FAILED: (Kind.ACTION_FAILED, "failed on every target"),
        }.get(state)
        if outcome:
            return outcome[0], proposer, f"Your {name} {outcome[1]}."
    return None


def _why(what: str, reason: str) -> str:
    """What happened, and the reason the person gave when there is one."""
    return f"{what}: {reason.strip()}" if reason.strip() else f"{what}."


def _when(value: str | None) -> str:
    """An event's stored time (ISO 8601, UTC) as the text of an entry."""
    if not value:
        return "earlier"
    return f"{value[:16].replace('T', ' ')} UTC"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _with_roles(people: QuerySet) -> list[AbstractBaseUser]:
    """Active people, their roles loaded in one query (as ``people.roles`` caches them)."""
    loaded = list(people.filter(is_active=True).prefetch_related("groups").order_by("pk"))
    for person in loaded:
        person._dossier_roles = frozenset(group.name for group in person.groups.all())
    return loaded


def _people(ids: Iterable[int | None]) -> list[AbstractBaseUser]:
    wanted = {pk for pk in ids if pk is not None}
    if not wanted:
        return []
    return _with_roles(get_user_model().objects.filter(pk__in=wanted))


def _named(username: str | None) -> list[AbstractBaseUser]:
    if not username:
        return []
    return _with_roles(get_user_model().objects.filter(username=username))


def _holders(role: Role) -> list[AbstractBaseUser]:
    return _with_roles(get_user_model().objects.filter(groups__name=str(role)).distinct())


def _escalated_by(event: AuditEvent, case: Case) -> int | None:
    """The person whose escalation the hand-back answers: the latest one before it."""
    return (
        AuditEvent.objects.for_case(case.pk)
        .filter(verb="case.escalated", sequence__lt=event.sequence, actor__isnull=False)
        .order_by("-sequence")
        .values_list("actor_id", flat=True)
        .first()
    )
