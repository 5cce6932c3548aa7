"""Every route is in the route table, and its door admits exactly the people the table names.

Each identity (nobody, a detector token, a person's token, each role, a person
with no role, a superuser with no role) calls every method the table lists on
every route, for an ordinary case and for a TLP:RED one, each call rolled
back so that none changes what the next one sees. A refused call is answered
at the door (401, 403, or the sign-in page); an admitted one is never refused
there and never fails with a 500; a TLP:RED case reads as not found to an
investigator who is not its assignee.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audit.models import AuditEvent, ExportJob
from cases.models import Case, Evidence, ReviewFlag, Tlp
from cases.workflow import add_known_shared
from enforcement.workflow import propose_action
from ingestion.detectors import create_detector
from ingestion.models import Batch
from notifications.models import Notification
from people.roles import ALL_ROLES, Role, has_role
from people.tokens import issue_personal_token
from tests.cases.factories import link, make_account, make_case, make_indicator
from tests.dossier.route_table import (
    DETECTORS,
    EXCLUDED_PREFIXES,
    PUBLIC,
    ROUTES,
    SIGNED_IN,
)

pytestmark = pytest.mark.django_db

PAGE_DOOR = "Your roles do not open this page"
API_DOORS = (
    "Your roles do not allow this endpoint",
    "Authentication credentials were not provided",
    "This endpoint is for detectors",
    "detector token may",
    "Invalid, expired or revoked token",
)
IDENTITIES = [
    "anonymous",
    "detector",
    "personal token",
    *sorted(role.value for role in ALL_ROLES),
    "no role",
    "superuser",
]


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
            else:
                yield route, route


def resolver_routes() -> dict[str, str]:
    """URL name (or pattern, when unnamed) -> pattern, for every route but the admin site's."""
    return {
        key: route
        for key, route in _walk(get_resolver().url_patterns)
        if not route.startswith(EXCLUDED_PREFIXES)
        and not route.startswith("^")
        and "(?P<format>" not in route
    }


def test_every_route_the_resolver_knows_is_in_the_table_and_nothing_else(report_figure):
    known = set(resolver_routes())
    assert sorted(known - set(ROUTES)) == [], "routes missing from tests/dossier/route_table.py"
    assert sorted(set(ROUTES) - known) == [], "routes in the table that no longer exist"
    methods = sum(len(methods) for methods in ROUTES.values())
    report_figure(
        f"Route table: {len(ROUTES)} routes, {methods} route-methods, "
        f"each tried by {len(IDENTITIES)} identities"
    )


@dataclass
class World:
    people: dict[str, object]
    tokens: dict[str, str]
    kwargs: dict[str, dict[str, object]]  # "ordinary" / "red" -> URL arguments


@pytest.fixture
def world(make_user) -> World:
    people = {role.value: make_user(role, username=f"u-{role.value}") for role in ALL_ROLES}
    people["no role"] = make_user(username="u-none")
    people["superuser"] = make_user(username="u-root", is_superuser=True, is_staff=True)
    investigator, lead = people[Role.INVESTIGATOR], people[Role.LEAD]
    _, personal = issue_personal_token(investigator, "routes")
    token_row = investigator.personal_tokens.get()
    detector = create_detector("routes", rate=0)
    batch = Batch.objects.create(detector_id=detector.detector.pk, raw_body=b"[]")
    known = add_known_shared("payment_fingerprint", "pf-shared", actor=lead, reason="reseller")
    export_job = ExportJob.objects.create(
        requested_by=people[Role.MANAGER],
        output="csv",
        through_sequence=1,
        rows=1,
        generated_at="2026-01-01T00:00:00.000000Z",
        export_event=1,
    )
    kwargs = {}
    for variant in ("ordinary", "red"):
        case = make_case(title=f"{variant} case", status="investigating")
        account = make_account(f"acct-{variant}", payment_fingerprint=f"pf-{variant}")
        link(case, account)
        indicator = make_indicator("payment_fingerprint", f"pf-{variant}", account)
        evidence = Evidence.objects.create(case=case, kind="note", title="seen", content="text")
        flag = ReviewFlag.objects.create(case=case, indicator=indicator, kind="worked_cases")
        action = propose_action(case.pk, actor=investigator, kind="suspend_accounts")
        # The investigator's entry: theirs to mark read, anyone else's to be refused.
        notification = Notification.objects.create(
            person=investigator, kind="case_assigned", event_id=case.pk, case=case, text="assigned"
        )
        if variant == "red":
            Case.objects.filter(pk=case.pk).update(tlp=Tlp.RED, assignee=lead)
        kwargs[variant] = {
            "case": case.pk,
            "action": action.pk,
            "target_pk": action.targets.get().pk,
            "case_pk": case.pk,
            "evidence_id": evidence.pk,
            "flag_id": flag.pk,
            "account_id": account.pk,
            "account": account.pk,
            "external_id": account.external_id,
            "indicator": indicator.pk,
            "panel": "accounts",
            "batch_id": batch.pk,
            "sequence": AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)[
                0
            ],
            "token": token_row.pk,
            "known": known.pk,
            "job_id": export_job.pk,
            "notification": notification.pk,
        }
    return World(people, {"detector": detector.token, "personal token": personal}, kwargs)


def _pk_for(name: str) -> str:
    """Which object a route's ``pk`` names."""
    if name.startswith(("enforcement:", "enforcement-api:")):
        return "action"
    if name in ("cases:remove-known-shared", "cases-api:known-shared-detail"):
        return "known"
    if name.startswith("cases-api:account-"):
        return "account"
    if name.startswith("cases-api:indicator-"):
        return "indicator"
    if name == "people:revoke-token":
        return "token"
    if name == "notifications:read":
        return "notification"
    return "case"


def url_for(name: str, route: str, values: dict) -> str:
    if "/" in name:  # unnamed: its pattern is its path
        return "/" + route
    args = {}
    for part in route.replace("(?P<", "<").split("<")[1:]:
        arg = part.split(">")[0].split(":")[-1]
        args[arg] = values[_pk_for(name)] if arg == "pk" else values[arg]
    return reverse(name, kwargs=args)


def admits(access, identity: str, user, api: bool) -> bool:
    if access == PUBLIC:
        return True
    if access == DETECTORS:
        return identity == "detector"
    if identity == "detector" or (identity == "personal token" and not api):
        return False
    if identity == "anonymous":
        return False
    if access == SIGNED_IN:
        return True
    return has_role(user, *access)


def door_refused(response, api: bool) -> bool:
    """Refused before the view ran: 401, the sign-in page, or the door's 403."""
    if response.status_code == 401:
        return True
    if response.status_code == 302 and "/accounts/login/?next=" in response.get("Location", ""):
        return True
    if response.status_code == 403:
        body = response.content.decode(errors="replace")
        return PAGE_DOOR in body or any(door in body for door in API_DOORS)
    return False


def _call(client: Client, method: str, url: str, headers: dict, api: bool):
    data = "{}" if api else {}
    extra = {"content_type": "application/json"} if api and method != "GET" else {}
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, headers=headers)
        elif method == "POST":
            response = client.post(url, data, headers=headers, **extra)
        else:
            response = client.generic(method, url, "", headers=headers)
        transaction.set_rollback(True)
    return response


HIDDEN_FROM_INVESTIGATOR = {
    "cases:detail",
    "cases:panel",
    "cases:evidence-content",
    "enforcement:action",
    "enforcement:progress",
    "cases-api:case-detail",
    "cases-api:case-notes",
    "cases-api:case-evidence",
    "cases-api:evidence-content",
    "cases-api:case-accounts",
    "cases-api:case-tlp",
    "cases-api:case-tags",
    "cases-api:case-transitions",
    "enforcement-api:action-detail",
    "enforcement-api:action-targets",
}


@pytest.mark.parametrize("identity", IDENTITIES)
def test_each_route_admits_exactly_the_people_the_table_names(world, identity, report_figure):
    client = Client()
    # A person's token acts as its holder, the investigator.
    user = world.people.get("investigator" if identity == "personal token" else identity)
    headers = {}
    if identity in world.tokens:
        headers = {"Authorization": f"Bearer {world.tokens[identity]}"}
    elif user is not None:
        client.force_login(user)
    signed_in = user is not None and identity not in world.tokens
    routes = resolver_routes()
    violations, calls = [], 0
    for name, methods in ROUTES.items():
        route = routes[name]
        api = route.startswith("api/")
        for variant, values in world.kwargs.items():
            url = url_for(name, route, values)
            for method, access in methods.items():
                calls += 1
                try:
                    response = _call(client, method, url, headers, api)
                except Exception as exc:  # a 500: the test client re-raises it
                    violations.append(f"{method} {url}: raised {exc!r}")
                    continue
                if signed_in and name == "logout":
                    client.force_login(user)
                admitted = admits(access, identity, user, api)
                refused = door_refused(response, api)
                if admitted and refused:
                    violations.append(
                        f"{method} {url}: refused at the door ({response.status_code})"
                    )
                if not admitted and not (refused or response.status_code in (401, 403)):
                    violations.append(f"{method} {url}: admitted ({response.status_code})")
                if response.status_code >= 500:
                    violations.append(f"{method} {url}: {response.status_code}")
                if (
                    variant == "red"
                    and identity == Role.INVESTIGATOR
                    and method == "GET"
                    and name in HIDDEN_FROM_INVESTIGATOR
                    and response.status_code != 404
                ):
                    violations.append(
                        f"{method} {url}: TLP:RED case answered {response.status_code}"
                    )
            if "pk" not in route and "<" not in route:
                break  # the route names no case: one variant is enough
    assert calls > len(ROUTES)
    assert violations == []
    report_figure(
        f"Route table as {identity}: {calls} calls (ordinary and TLP:RED case), none wrong"
    )
