"""Who may use each route, by URL name and method: the contract the route tests hold.

Every pattern the URL resolver knows is listed here (``test_route_table``
fails on one that is not), so a new page or endpoint cannot reach main
without saying who may use it. The roles are those the route's door admits;
the workflow behind it may refuse an admitted person further (a manager may
read a case, not assign it), with its own audited 403.
"""

from __future__ import annotations

from people.roles import (
    ALL_ROLES,
    CASE_READERS,
    ESCALATION_RECEIVERS,
    INVESTIGATORS_AND_LEADS,
    LEADS,
    LEADS_AND_ADMINISTRATORS,
    MANAGERS,
    Role,
)

# Routes are named by URL name, or by their pattern when they have none.
# Who besides the roles: anyone at all, anyone signed in (roles or not), detectors.
PUBLIC = "public"
SIGNED_IN = "signed in"
DETECTORS = "detectors"

Access = frozenset[Role] | str
ADMINISTRATORS_ONLY: frozenset[Role] = frozenset({Role.ADMINISTRATOR})

# The Django admin site is guarded by its own staff check (tests/people/test_admin_access.py).
EXCLUDED_PREFIXES = ("admin/",)

ROUTES: dict[str, dict[str, Access]] = {
    # Signing in, the start page, the health check.
    "home": {"GET": SIGNED_IN},
    "healthz": {"GET": PUBLIC},
    "login": {"GET": PUBLIC, "POST": PUBLIC},
    # The second step of signing in: without a pending sign-in, back to the first.
    "login-code": {"GET": PUBLIC, "POST": PUBLIC},
    "logout": {"POST": PUBLIC},  # signing out when signed out is harmless
    "people:profile": {"GET": ALL_ROLES, "POST": ALL_ROLES},
    # A person's notifications: their inbox, marking read, their email choices.
    "notifications:inbox": {"GET": ALL_ROLES},
    "notifications:read": {"POST": ALL_ROLES},
    "notifications:read-all": {"POST": ALL_ROLES},
    "notifications:email": {"GET": ALL_ROLES, "POST": ALL_ROLES},
    "notifications-api:inbox": {"GET": ALL_ROLES},
    "notifications-api:read": {"POST": ALL_ROLES},
    "notifications-api:read-all": {"POST": ALL_ROLES},
    "people:revoke-token": {"POST": ALL_ROLES},
    # A person's authenticator app: anyone signed in (people/profile.py says why).
    "people:two-factor": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "people:two-factor-remove": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    # Cases: the queue and the case page with its forms.
    "cases:queue": {"GET": CASE_READERS},
    "cases:escalated": {"GET": ESCALATION_RECEIVERS},
    # Unnamed: a permanent redirect to enforcement:approvals, whose door decides.
    "cases/approvals/": {"GET": PUBLIC},
    "cases:known-shared": {"GET": LEADS},
    "cases:add-known-shared": {"POST": LEADS},
    "cases:remove-known-shared": {"GET": LEADS, "POST": LEADS},
    "cases:detail": {"GET": CASE_READERS},
    "cases:panel": {"GET": CASE_READERS},
    "cases:assign": {"POST": CASE_READERS},
    "cases:severity": {"POST": CASE_READERS},
    "cases:attribution": {"POST": CASE_READERS},
    "cases:tlp": {"POST": CASE_READERS},
    "cases:tags": {"POST": CASE_READERS},
    "cases:transition": {"POST": CASE_READERS},
    "cases:add-note": {"POST": CASE_READERS},
    "cases:merge": {"POST": CASE_READERS},
    "cases:add-evidence": {"POST": CASE_READERS},
    "cases:evidence-content": {"GET": CASE_READERS},
    "cases:link-account": {"POST": CASE_READERS},
    "cases:resolve-flag": {"POST": CASE_READERS},
    "cases:account-selection": {"POST": CASE_READERS},
    # Enforcement pages; the steps admit every role and the workflow refuses.
    "enforcement:approvals": {"GET": LEADS},
    "enforcement:action": {"GET": CASE_READERS},
    "enforcement:progress": {"GET": CASE_READERS},
    "enforcement:approve": {"POST": ALL_ROLES},
    "enforcement:reject": {"GET": ALL_ROLES, "POST": ALL_ROLES},
    "enforcement:withdraw": {"GET": ALL_ROLES, "POST": ALL_ROLES},
    "enforcement:retry": {"POST": ALL_ROLES},
    "enforcement:revert": {"GET": ALL_ROLES, "POST": ALL_ROLES},
    "enforcement:revert-target": {"GET": ALL_ROLES, "POST": ALL_ROLES},
    "enforcement:override": {"POST": ALL_ROLES},
    "enforcement:propose": {"GET": INVESTIGATORS_AND_LEADS, "POST": INVESTIGATORS_AND_LEADS},
    # The audit trail, the import's health and the detectors.
    "audit:events": {"GET": MANAGERS},
    "audit:event-cases": {"GET": MANAGERS},
    # Export jobs: managers, each their own (another's job reads as not found).
    "audit:export-jobs": {"GET": MANAGERS},
    "audit:export-start": {"POST": MANAGERS},
    "audit:export-job": {"GET": MANAGERS},
    "audit:export-job-progress": {"GET": MANAGERS},
    "audit:export-job-download": {"GET": MANAGERS},
    "ingestion:detectors": {"GET": ADMINISTRATORS_ONLY},
    "ingestion:health": {"GET": LEADS_AND_ADMINISTRATORS},
    "ingestion:health-retry": {"POST": LEADS_AND_ADMINISTRATORS},
    # The alerts API: detectors only (docs/alerts-api.md).
    "ingestion-api:alerts": {"POST": DETECTORS},
    "ingestion-api:batch": {"GET": DETECTORS},
    "ingestion-api:lookup": {"GET": DETECTORS},
    # The cases API.
    "cases-api:case-list": {"GET": CASE_READERS},
    "cases-api:case-escalated": {"GET": ESCALATION_RECEIVERS},
    "cases-api:case-detail": {"GET": CASE_READERS},
    "cases-api:case-notes": {"GET": CASE_READERS, "POST": CASE_READERS},
    "cases-api:case-evidence": {"GET": CASE_READERS, "POST": CASE_READERS},
    "cases-api:evidence-content": {"GET": CASE_READERS},
    "cases-api:case-transitions": {"GET": CASE_READERS, "POST": CASE_READERS},
    "cases-api:case-assign": {"POST": CASE_READERS},
    "cases-api:case-severity": {"POST": CASE_READERS},
    "cases-api:case-merge": {"POST": CASE_READERS},
    "cases-api:case-tlp": {"GET": CASE_READERS, "POST": CASE_READERS},
    "cases-api:case-tags": {"GET": CASE_READERS, "POST": CASE_READERS},
    "cases-api:case-attribution": {"POST": CASE_READERS},
    "cases-api:case-accounts": {"GET": CASE_READERS, "POST": CASE_READERS},
    "cases-api:case-review-flag": {"POST": CASE_READERS},
    "cases-api:case-account": {"DELETE": CASE_READERS},
    "cases-api:account-list": {"GET": CASE_READERS},
    "cases-api:account-detail": {"GET": CASE_READERS},
    "cases-api:account-protection": {"POST": CASE_READERS},
    "cases-api:indicator-list": {"GET": CASE_READERS},
    "cases-api:indicator-detail": {"GET": CASE_READERS},
    "cases-api:known-shared-list": {"GET": LEADS, "POST": LEADS},
    "cases-api:known-shared-detail": {"GET": LEADS, "DELETE": LEADS},
    # The actions API; the steps admit every role and the workflow refuses.
    "enforcement-api:action-list": {"GET": CASE_READERS, "POST": ALL_ROLES},
    "enforcement-api:action-detail": {"GET": CASE_READERS},
    "enforcement-api:action-approve": {"POST": ALL_ROLES},
    "enforcement-api:action-reject": {"POST": ALL_ROLES},
    "enforcement-api:action-withdraw": {"POST": ALL_ROLES},
    "enforcement-api:action-retry": {"POST": ALL_ROLES},
    "enforcement-api:action-revert": {"POST": ALL_ROLES},
    "enforcement-api:action-targets": {"GET": CASE_READERS},
    # The signed enforcement ledger: managers, as the audit exports.
    "enforcement-api:action-ledger": {"GET": MANAGERS},
    # Signed audit exports: managers; their public key is public by design.
    "audit-export:export": {"GET": MANAGERS},
    "audit-export:jobs": {"POST": MANAGERS},
    "audit-export:job": {"GET": MANAGERS},
    "audit-export:job-download": {"GET": MANAGERS},
    "audit-export:public-key": {"GET": PUBLIC},
    # The audit trail API, as the page: managers only.
    "audit-api:event-list": {"GET": MANAGERS},
    # The API's description, for people signed in.
    "api-schema": {"GET": SIGNED_IN},
    "api-docs": {"GET": SIGNED_IN},
}
