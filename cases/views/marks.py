"""What the case page says about marking a case: for each TLP, who would lose or
gain sight of it. Worked out by ``cases.visibility``, never restated here."""

from __future__ import annotations

from cases import workflow
from cases.models import Case, Tlp
from cases.visibility import can_see, roles_gaining_sight, roles_losing_sight, with_changes
from people.roles import Role

# How the page names the holders of a role, in a sentence.
ROLE_PEOPLE = {
    Role.INVESTIGATOR: "investigators",
    Role.LEAD: "leads",
    Role.MANAGER: "managers",
    Role.POLICY: "policy",
    Role.LEGAL: "legal",
    Role.EXECUTIVE: "executives",
    Role.ADMINISTRATOR: "administrators",
}


def _people(roles: list[Role]) -> str:
    names = [ROLE_PEOPLE[role] for role in roles]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return listed[0].upper() + listed[1:]


def sight_change(case: Case, user, tlp: str) -> str:
    """What marking ``case`` ``tlp`` would change in who sees it, as one sentence."""
    if tlp == case.tlp:
        return "The case's marking now."
    said = []
    if losing := roles_losing_sight(case, tlp=tlp):
        said.append(f"{_people(losing)} who are not the assignee will no longer see this case.")
    if gaining := roles_gaining_sight(case, tlp=tlp):
        said.append(f"{_people(gaining)} will see this case.")
    if can_see(user, case) and not can_see(user, with_changes(case, tlp=tlp)):
        said.append("You will no longer see it.")
    return " ".join(said) or "Everyone who sees this case now still will."


def tlp_choices(case: Case, user) -> list[dict]:
    """Every marking, whether ``user`` may choose it, and what choosing it changes."""
    return [
        {
            "value": value,
            "label": label,
            "current": value == case.tlp,
            "allowed": value == case.tlp or workflow.may_set_tlp(user, case, value),
            "sight": sight_change(case, user, value),
        }
        for value, label in Tlp.choices
    ]
