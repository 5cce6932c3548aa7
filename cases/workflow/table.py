"""The transition table (docs/case-workflow.md) and the refusals it raises."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser

from cases.models import OPEN_STATUSES, Case, CaseStatus, EscalationLevel, Resolution
from core.refusals import Forbidden
from people.roles import INVESTIGATORS_AND_LEADS, LEADS, roles_of

S = CaseStatus

ORDINARY_RESOLUTIONS = frozenset(r for r in Resolution if r != Resolution.CONFIRMED_ABUSE)


class Via(StrEnum):
    """How a transition is asked for."""

    TRANSITION = "transition"  # a person asks for it (transition(), close(), ...)
    PROPOSE_ACTION = "propose_action"  # proposing an enforcement action
    ACTIONS_EXECUTED = "actions_executed"  # the case's actions were carried out
    ACTIONS_SETTLED = "actions_settled"  # its last live action was rejected or withdrawn


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    target: str
    via: Via
    roles: frozenset[str] = frozenset()
    # The role named by the case's escalation level may also do it (the hand-back).
    escalation_level_may: bool = False
    # For closing: the resolutions this rule allows.
    resolutions: frozenset[str] = frozenset()
    # Escalating an escalated case: only while a higher level exists.
    to_higher_level: bool = False


def _rule(sources, target, via, roles=frozenset(), **kwargs) -> Rule:
    return Rule(frozenset(sources), target, via, frozenset(roles), **kwargs)


# The case workflow of docs/case-workflow.md; the only place the code states it.
TRANSITIONS: tuple[Rule, ...] = (
    _rule({S.NEW}, S.TRIAGE, Via.TRANSITION, INVESTIGATORS_AND_LEADS),
    _rule({S.NEW, S.TRIAGE}, S.INVESTIGATING, Via.TRANSITION, INVESTIGATORS_AND_LEADS),
    _rule({S.INVESTIGATING}, S.ESCALATED, Via.TRANSITION, INVESTIGATORS_AND_LEADS),
    _rule({S.ESCALATED}, S.INVESTIGATING, Via.TRANSITION, LEADS, escalation_level_may=True),
    _rule(
        {S.ESCALATED},
        S.ESCALATED,
        Via.TRANSITION,
        LEADS,
        escalation_level_may=True,
        to_higher_level=True,
    ),
    _rule(
        {S.INVESTIGATING, S.ESCALATED},
        S.PENDING_ACTION,
        Via.PROPOSE_ACTION,
        INVESTIGATORS_AND_LEADS,
    ),
    _rule({S.PENDING_ACTION}, S.ACTIONED, Via.ACTIONS_EXECUTED),
    _rule({S.PENDING_ACTION}, S.INVESTIGATING, Via.ACTIONS_SETTLED),
    _rule({S.PENDING_ACTION}, S.INVESTIGATING, Via.TRANSITION, LEADS),
    _rule({S.ACTIONED}, S.INVESTIGATING, Via.TRANSITION, LEADS),
    _rule(
        OPEN_STATUSES,
        S.CLOSED,
        Via.TRANSITION,
        INVESTIGATORS_AND_LEADS,
        resolutions=ORDINARY_RESOLUTIONS,
    ),
    _rule(
        OPEN_STATUSES,
        S.CLOSED,
        Via.TRANSITION,
        LEADS,
        resolutions=frozenset({Resolution.CONFIRMED_ABUSE}),
    ),
    _rule({S.CLOSED}, S.INVESTIGATING, Via.TRANSITION, LEADS),
)


@dataclass(frozen=True)
class AllowedTransition:
    """One status change a person may ask for from where the case is.

    ``resolutions`` lists, for closing, the resolutions allowed (in the
    order ``Resolution`` declares them); it is empty for any other status.
    ``levels`` lists, for escalating, the levels it may go to.
    """

    to_status: str
    resolutions: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()

    @property
    def every_resolution(self) -> bool:
        return set(self.resolutions) == set(Resolution.values)

    @property
    def label(self) -> str:
        """``closed`` when every resolution is allowed, ``closed as a|b`` otherwise."""
        if self.to_status == S.CLOSED and not self.every_resolution:
            return f"closed as {'|'.join(self.resolutions)}"
        return self.to_status


class OperationRefused(Forbidden):
    """The actor may not do this to this case; nothing was changed.

    ``case`` is the case refused, for the trail's ``case.operation_refused``.
    """

    def __init__(self, message: str, *, case: Case | None = None) -> None:
        super().__init__(message)
        self.case = case


class TransitionRefused(OperationRefused):
    """A status change the table or the actor's roles do not allow."""

    def __init__(
        self, case: Case, requested: str, allowed: Iterable[AllowedTransition], detail: str = ""
    ) -> None:
        self.case_id = case.pk
        self.current = str(case.status)
        self.requested = str(requested)
        self.transitions = tuple(allowed)
        # As the message names them.
        self.allowed = tuple(transition.label for transition in self.transitions)
        allowed_text = ", ".join(self.allowed) or "nothing"
        message = (
            f"Case #{case.pk} cannot move from {self.current} to {self.requested}"
            f"{f' ({detail})' if detail else ''}; "
            f"allowed from {self.current} for you: {allowed_text}."
        )
        super().__init__(message, case=case)


def is_person(actor) -> bool:
    return (
        isinstance(actor, AbstractBaseUser)
        and actor.is_authenticated
        and actor.is_active
        and actor.pk is not None
    )


def levels_open_to(case: Case) -> tuple[str, ...]:
    """The levels ``case`` may be escalated to: any from investigation, and
    once escalated only those above its level (policy, legal, executive)."""
    levels = tuple(EscalationLevel.values)
    if case.status != S.ESCALATED or case.escalation_level not in levels:
        return levels
    return levels[levels.index(case.escalation_level) + 1 :]


def applies(rule: Rule, case: Case) -> bool:
    """Whether ``rule`` starts from where ``case`` is."""
    if case.status not in rule.sources:
        return False
    return not rule.to_higher_level or bool(levels_open_to(case))


def permits(rule: Rule, case: Case, actor) -> bool:
    if not is_person(actor):
        return False
    held = roles_of(actor)
    if any(str(role) in held for role in rule.roles):
        return True
    return bool(rule.escalation_level_may and case.escalation_level in held)


def rules_for(case: Case, target: str, via: Via, actor) -> list[Rule]:
    """The rules letting ``actor`` move ``case`` to ``target`` this way.

    Rules naming no role are the system's (actions carried out or settled):
    the operation that triggers them checks who may trigger it.
    """
    return [
        rule
        for rule in TRANSITIONS
        if rule.via == via
        and rule.target == target
        and applies(rule, case)
        and (not (rule.roles or rule.escalation_level_may) or permits(rule, case, actor))
    ]


def allowed_transitions(case: Case, actor) -> list[AllowedTransition]:
    """What ``actor`` may ask for from the case's current status, in status order,
    for buttons and messages (closing with the resolutions allowed)."""
    targets: dict[str, set[str]] = {}
    for rule in TRANSITIONS:
        if rule.via == Via.TRANSITION and applies(rule, case) and permits(rule, case, actor):
            targets.setdefault(rule.target, set()).update(rule.resolutions)
    return [
        AllowedTransition(
            str(status),
            tuple(str(r) for r in Resolution if r in targets[status]),
            levels_open_to(case) if status == S.ESCALATED else (),
        )
        for status in CaseStatus
        if status in targets
    ]
