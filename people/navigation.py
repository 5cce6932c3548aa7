"""The navigation bar: each entry names the roles that see it.

Apps add entries here as their pages land; an entry whose URL does not
resolve is left out, so the bar never links to a page that does not exist.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from people.roles import (
    ADMINISTRATORS,
    ALL_ROLES,
    CASE_READERS,
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
    NavEntry("Approvals", "enforcement:approvals", LEADS),
    NavEntry("Import health", "ingestion:health", LEADS_AND_ADMINISTRATORS),
    NavEntry("Detectors", "ingestion:detectors", ADMINISTRATORS),
    NavEntry("Audit", "audit:events", MANAGERS),
    NavEntry("API docs", "api-docs", ALL_ROLES),
    NavEntry("Profile", "people:profile", ALL_ROLES),
    NavEntry("Admin", "admin:index", ADMINISTRATORS),
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
