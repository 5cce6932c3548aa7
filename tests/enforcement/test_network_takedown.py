"""One network, one takedown: every unprotected account of a 25,000-account case is
one proposal, through the page and through the API, carried out by the log backend.

The case is built the way a campaign looks once correlated: fresh accounts sharing
a payment fingerprint per 125 of them, a few protected accounts mixed in (a
university programme's), and some accounts also in one-account cases opened before
the network was recognised. Built with set-based INSERTs, never row by row.
Timings are printed for information (``-s``), never asserted.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import SEVERITY_RANK, Account, Case, EnforcementState
from enforcement.execution import run_action
from enforcement.models import Action, ActionState, TargetState
from people.tokens import PersonalToken
from tests.enforcement.test_pages import ACTION_PAGE_QUERIES

pytestmark = pytest.mark.django_db

NETWORK = 25_000
PROTECTED_EVERY = 1_000  # 25 protected accounts among the 25,000
ACCOUNTS_PER_FINGERPRINT = 125
SIDE_CASES = 40  # one-account cases that also hold one of the network's accounts
ACTED_ON = NETWORK - NETWORK // PROTECTED_EVERY


@dataclass
class Network:
    case: Case
    prefix: str
    protected: list[str]
    side_cases: list[int]


def make_network_case(size: int = NETWORK) -> Network:
    case = Case.objects.create(
        title="Operator network sharing prompt cluster pc_9f",
        status="investigating",
        severity="high",
        severity_rank=SEVERITY_RANK["high"],
        account_count=size,
    )
    prefix = f"op{case.pk}_"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cases_account
                   (external_id, payment_fingerprint, is_protected, protected_reason)
            SELECT %(prefix)s || lpad(g::text, 5, '0'),
                   'pf_' || %(case)s || '_' || (g / %(per_fp)s),
                   g %% %(every)s = 7,
                   CASE WHEN g %% %(every)s = 7 THEN 'University research programme' ELSE '' END
              FROM generate_series(0, %(size)s - 1) AS g
            """,
            {
                "prefix": prefix,
                "case": case.pk,
                "per_fp": ACCOUNTS_PER_FINGERPRINT,
                "every": PROTECTED_EVERY,
                "size": size,
            },
        )
        cursor.execute(
            "INSERT INTO cases_caseaccount (case_id, account_id, reason, linked_by_detector)"
            " SELECT %s, id, 'shares prompt cluster pc_9f', 'distill-detector'"
            " FROM cases_account WHERE external_id LIKE %s",
            [case.pk, prefix + "%"],
        )
    # Opened by single accounts before the network was one case; one of them closed.
    side = Case.objects.bulk_create(
        [
            Case(title=f"Account op #{i}", status="new")
            if i
            else Case(title="Account op #0", status="closed", resolution="benign")
            for i in range(SIDE_CASES + 1)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_caseaccount (case_id, account_id, reason, linked_by_detector)"
            " SELECT s.case_id, a.id, 'alert names the account', 'distill-detector'"
            " FROM unnest(%s::bigint[], %s::text[]) AS s(case_id, external_id)"
            " JOIN cases_account a ON a.external_id = s.external_id",
            [
                [c.pk for c in side],
                [f"{prefix}{(i * 601) % size:05d}" for i in range(len(side))],
            ],
        )
    protected = sorted(
        Account.objects.filter(external_id__startswith=prefix, is_protected=True).values_list(
            "external_id", flat=True
        )
    )
    return Network(case, prefix, protected, [c.pk for c in side[1:]])


def assert_all_taken_down(network: Network, action: Action) -> None:
    """Every unprotected account was suspended exactly once; no protected one was touched."""
    states = dict(action.targets.values_list("state").annotate(n=Count("pk")).order_by())
    assert states == {TargetState.EXECUTED: ACTED_ON, TargetState.EXCLUDED: len(network.protected)}
    assert not action.targets.filter(state=TargetState.EXECUTED).exclude(attempts=1).exists()
    accounts = Account.objects.filter(external_id__startswith=network.prefix)
    assert accounts.filter(enforcement_state=EnforcementState.SUSPENDED).count() == ACTED_ON
    assert (
        sorted(
            accounts.exclude(enforcement_state=EnforcementState.SUSPENDED).values_list(
                "external_id", flat=True
            )
        )
        == network.protected
    )


def execute(action: Action, caplog) -> float:
    """What a worker does with the approval's message, timed."""
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="dossier.enforcement"):
        assert run_action(action.pk) == ActionState.EXECUTED
    return time.perf_counter() - started


PROPOSAL = {
    "kind": "suspend_accounts",
    "notice": "Your account was suspended for automated extraction of model outputs.",
    "rationale": "One operator: shared prompt cluster pc_9f and 200 payment fingerprints.",
}


def test_one_proposal_on_the_page_takes_down_every_unprotected_account_of_the_network(
    client, people, settings, caplog, django_assert_max_num_queries
):
    settings.ENFORCEMENT_BACKEND = "log"
    small, network = make_network_case(30), make_network_case()
    client.force_login(people.investigator)

    # The propose page counts the accounts; it does not list them.
    page = client.get(reverse("enforcement:propose", args=[network.case.pk])).content.decode()
    assert "The case links <strong>25,000</strong> accounts." in page
    assert "an account action covers <strong>24,975</strong> of them" in page
    assert "<strong>25</strong> protected accounts are left out" in page
    assert page.count(network.prefix) == 10  # a few protected names, then "…"

    # One proposal, in as many queries for 25,000 accounts as for 30.
    queries = []
    for each in (small, network):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(
                reverse("enforcement:propose", args=[each.case.pk]), {**PROPOSAL, "targets": ""}
            )
            proposing = time.perf_counter() - started
        assert response.status_code == 302
        queries.append(len(captured))
    assert queries[0] == queries[1]
    action = Action.objects.get(case=network.case)
    action_url = reverse("enforcement:action", args=[action.pk])
    assert response["Location"] == action_url

    # The lead reads the blast radius in a fixed number of queries, targets paginated.
    client.force_login(people.lead)
    started = time.perf_counter()
    with django_assert_max_num_queries(ACTION_PAGE_QUERIES):
        page = client.get(action_url).content.decode()
    reading = time.perf_counter() - started
    assert "<strong>24,975</strong> accounts acted on" in page
    assert "<strong>25</strong> protected accounts" in page
    assert page.count('class="protected-target"') == 25
    assert f"<strong>{SIDE_CASES}</strong> other open cases touched" in page
    assert "page 1 of 250" in page
    response = client.post(
        reverse("enforcement:approve", args=[action.pk]), {"comment": "One operator, one takedown."}
    )
    assert response.status_code == 302

    executing = execute(action, caplog)
    progress = client.get(reverse("enforcement:progress", args=[action.pk])).json()
    assert progress["label"] == "24,975 of 24,975 accounts suspended"
    assert (progress["total"], progress["done"], progress["failed"]) == (ACTED_ON, ACTED_ON, 0)
    assert progress["finished"] and progress["state"] == ActionState.EXECUTED
    assert progress["counts"][TargetState.EXCLUDED] == 25
    assert_all_taken_down(network, action)

    # The protected accounts are the targets left out.
    page = client.get(action_url + "?state=excluded").content.decode()
    assert '<span class="state state-executed">Executed</span>' in page
    left_out = [v for v in network.protected if f'data-value="{v}"' in page]
    assert left_out == network.protected and page.count("<tr data-target=") == 25
    network.case.refresh_from_db()
    assert network.case.status == "actioned"
    print(
        f"\n25,000 accounts on the page: proposed in {proposing:.2f}s ({queries[1]} queries),"
        f" action page in {reading:.2f}s, executed through the log backend in {executing:.1f}s"
    )


def test_one_proposal_through_the_api_takes_down_every_unprotected_account_of_the_network(
    api, people, settings, caplog
):
    settings.ENFORCEMENT_BACKEND = "log"
    network = make_network_case()
    _, investigator = PersonalToken.issue(people.investigator, "takedown script")
    _, lead = PersonalToken.issue(people.lead, "approvals script")

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {investigator}")
    started = time.perf_counter()
    response = api.post("/api/v1/actions/", {"case": network.case.pk, **PROPOSAL}, format="json")
    proposing = time.perf_counter() - started
    assert response.status_code == 201, response.content
    proposed = response.json()
    assert proposed["targets"] == ACTED_ON
    assert proposed["progress"]["label"] == "0 of 24,975 accounts suspended"
    assert proposed["progress"]["counts"][TargetState.EXCLUDED] == 25
    assert Action.objects.filter(case=network.case).count() == 1
    excluded = api.get(f"/api/v1/actions/{proposed['id']}/targets/?state=excluded").json()
    assert sorted(t["value"] for t in excluded["results"]) == network.protected
    assert all(t["is_protected"] for t in excluded["results"])

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {lead}")
    response = api.post(
        f"/api/v1/actions/{proposed['id']}/approve/", {"comment": "Approved"}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == ActionState.APPROVED

    action = Action.objects.get(pk=proposed["id"])
    executing = execute(action, caplog)
    done = api.get(f"/api/v1/actions/{action.pk}/").json()
    assert done["state"] == ActionState.EXECUTED and done["targets"] == ACTED_ON
    progress = done["progress"]
    assert progress["label"] == "24,975 of 24,975 accounts suspended"
    assert (progress["total"], progress["done"], progress["failed"]) == (ACTED_ON, ACTED_ON, 0)
    assert progress["finished"] and progress["counts"][TargetState.EXECUTED] == ACTED_ON
    assert_all_taken_down(network, action)
    print(
        f"\n25,000 accounts through the API: proposed in {proposing:.2f}s,"
        f" executed through the log backend in {executing:.1f}s"
    )


def test_a_client_listing_all_25000_accounts_makes_the_same_single_proposal(api, people):
    network = make_network_case()
    accounts = Account.objects.filter(external_id__startswith=network.prefix)
    listed = [
        {"type": "account", "value": ext} for ext in accounts.values_list("external_id", flat=True)
    ]
    _, investigator = PersonalToken.issue(people.investigator, "takedown script")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {investigator}")
    started = time.perf_counter()
    response = api.post(
        "/api/v1/actions/",
        {"case": network.case.pk, **PROPOSAL, "targets": listed},
        format="json",
    )
    proposing = time.perf_counter() - started
    assert response.status_code == 201, response.content
    proposed = response.json()
    assert proposed["targets"] == ACTED_ON
    assert proposed["progress"]["counts"][TargetState.EXCLUDED] == 25
    print(f"\n25,000 listed accounts through the API: proposed in {proposing:.2f}s")
