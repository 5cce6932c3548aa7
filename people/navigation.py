"""The navigation bar: each entry names the roles that see it.

Every entry names a URL that exists; a page that is renamed or removed breaks
the bar at once (and its test) rather than vanishing from it unnoticed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.urls import reverse

from people.roles import (
    ADMINISTRATORS,
    ALL_ROLES,
    CASE_READERS,
    ESCALATION_RECEIVERS,
    LEADS,
    LEADS_AND_ADMINISTRATORS,
    MANAGERS,
    Role,
    roles_of,
)


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: Collection[Role]


NAVIGATION: list[NavEntry] = [
    NavEntry("Queue", "cases:queue", CASE_READERS),
    NavEntry("Escalated to me", "cases:escalated", ESCALATION_RECEIVERS),
    NavEntry("Approvals", "enforcement:approvals", LEADS),
    NavEntry("Known shared", "cases:known-shared", LEADS),
    NavEntry("Import health", "ingestion:health", LEADS_AND_ADMINISTRATORS),
    NavEntry("Detectors", "ingestion:detectors", ADMINISTRATORS),
    NavEntry("Audit", "audit:events", MANAGERS),
    NavEntry("API docs", "api-docs", ALL_ROLES),
    NavEntry("Profile", "people:profile", ALL_ROLES),
    NavEntry("Admin", "admin:index", ADMINISTRATORS),
]


def entries_for(user) -> list[dict[str, str]]:
    held = roles_of(user)
    return [
        {"label": entry.label, "url": reverse(entry.url_name), "name": entry.url_name}
        for entry in NAVIGATION
        if held.intersection(entry.roles)
    ]
