"""The navigation bar: each entry names the roles that see it.

Apps add entries here as their pages land; an entry whose URL does not
resolve is left out, so the bar never links to a page that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from people.roles import ALL_ROLES, Role, roles_of

CASE_WORKERS = (Role.INVESTIGATOR, Role.LEAD, Role.MANAGER, Role.POLICY, Role.LEGAL, Role.EXECUTIVE)


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: tuple[Role, ...]


NAVIGATION: list[NavEntry] = [
    NavEntry("Queue", "cases:queue", CASE_WORKERS),
    NavEntry("Approvals", "cases:approvals", (Role.LEAD,)),
    NavEntry("Import health", "ingestion:health", (Role.LEAD, Role.ADMINISTRATOR)),
    NavEntry("Detectors", "ingestion:detectors", (Role.ADMINISTRATOR,)),
    NavEntry("Audit", "audit:events", (Role.MANAGER,)),
    NavEntry("API docs", "api-docs", ALL_ROLES),
    NavEntry("Profile", "people:profile", ALL_ROLES),
    NavEntry("Admin", "admin:index", (Role.ADMINISTRATOR,)),
]


def entries_for(user) -> list[dict[str, str]]:
    held = roles_of(user)
    entries = []
    for entry in NAVIGATION:
        if not held.intersection(entry.roles):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        entries.append({"label": entry.label, "url": url})
    return entries
