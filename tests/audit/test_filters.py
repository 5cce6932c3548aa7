"""The audit trail filtered by one FilterSet: the page ``/audit/``,
``/api/v1/audit/events/`` and the case page's audit panel give the same events."""

import pytest
from django.db import transaction

from audit.events import record
from cases.workflow import link_account, unlink_account
from enforcement.workflow import propose_action
from people.roles import Role
from tests.cases.factories import make_account, make_case

pytestmark = pytest.mark.django_db

API = "/api/v1/audit/events/"
OTHER_ROLES = [r for r in Role if r != Role.MANAGER]


class Detector:
    pk = "d-7"
    name = "distill"


def one(verb, **fields):
    with transaction.atomic():
        return record(verb, **fields)


def page_sequences(client, params) -> list[int]:
    response = client.get("/audit/", params)
    assert response.status_code == 200
    return [event.sequence for event in response.context["events"]]


def api_sequences(client, params) -> list[int]:
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return [row["sequence"] for row in response.json()["results"]]


@pytest.fixture
def manager(client, make_user):
    user = make_user(Role.MANAGER, username="mia")
    client.force_login(user)
    return user


def test_the_page_and_the_api_filter_by_actor_verb_case_detector_type_and_time(
    client, manager, make_user
):
    ivy = make_user(Role.INVESTIGATOR, username="ivy")
    case = make_case()
    assigned = one("case.assigned", actor=ivy, target=case)
    noted = one("case.noted", system="sweeper", cases=[case.pk])
    flagged = one("alert.flagged", detector=Detector())
    later = one("case.noted", system="sweeper")
    expected = {
        "actor": ({"actor": "ivy"}, [assigned.sequence]),
        "verb": ({"verb": "case.noted"}, [later.sequence, noted.sequence]),
        "case": ({"case": str(case.pk)}, [noted.sequence, assigned.sequence]),
        "detector by name": ({"detector": "distill"}, [flagged.sequence]),
        "detector by id": ({"detector": "d-7"}, [flagged.sequence]),
        "type": ({"type": "cases.case"}, [assigned.sequence]),
        "since": (
            {"since": noted.occurred_at.isoformat(), "verb": "case.noted"},
            [later.sequence, noted.sequence],
        ),
        "until": (
            {"until": noted.occurred_at.isoformat(), "case": str(case.pk)},
            [assigned.sequence],
        ),
    }
    for name, (params, sequences) in expected.items():
        assert page_sequences(client, params) == sequences, name
        assert api_sequences(client, params) == sequences, name


@pytest.mark.parametrize(
    "params, name",
    [
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"case": "abc"}, "case"),
        ({"case": "0"}, "case"),
        ({"case": str(2**63)}, "case"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter_and_an_error_at_the_form(
    client, manager, params, name
):
    response = client.get(API, params)
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [name]
    page = client.get("/audit/", params)
    assert page.status_code == 200
    assert page.context["events"] == []
    assert f'id="error-{name}"' in page.content.decode()


def test_an_unreadable_cursor_is_a_400_naming_it(client, manager):
    response = client.get(API, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_the_account_filter_finds_its_link_unlink_and_action_events(client, manager, make_user):
    ivy = make_user(Role.INVESTIGATOR, username="ivy")
    case = make_case(status="investigating")
    account, other = make_account("acct_1"), make_account("acct_2")
    link_account(case, account, actor=ivy, reason="same card")
    link_account(case, other, actor=ivy, reason="same card")
    unlink_account(case, other, actor=ivy, reason="not theirs")
    action = propose_action(case.pk, actor=ivy, kind="suspend_accounts")
    one("case.noted", system="sweeper", cases=[case.pk])

    for params in ({"account": "acct_1"}, {"account": "acct_2"}):
        page = client.get("/audit/", params)
        shown = [(e.verb, e.target_id) for e in page.context["events"]]
        assert api_sequences(client, params) == [e.sequence for e in page.context["events"]]
        if params["account"] == "acct_1":
            # Only acct_1 is still linked, so only it is the action's target.
            assert shown == [
                ("action.proposed", str(action.pk)),
                ("case.account_linked", str(account.pk)),
            ]
        else:
            assert shown == [
                ("case.account_unlinked", str(other.pk)),
                ("case.account_linked", str(other.pk)),
            ]
    assert api_sequences(client, {"account": "nobody"}) == []


def test_each_event_shows_its_sequence_hash_and_links_to_its_case_or_action(
    client, manager, make_user
):
    ivy = make_user(Role.INVESTIGATOR, username="ivy")
    case = make_case(status="investigating")
    link_account(case, make_account("acct_9"), actor=ivy, reason="same card")
    action = propose_action(case.pk, actor=ivy, kind="suspend_accounts")
    on_case = one("case.assigned", actor=ivy, target=case)
    body = client.get("/audit/").content.decode()
    assert f"<td>{on_case.sequence}</td>" in body
    assert f'<code class="audit-hash" title="{on_case.hash}">{on_case.hash[:12]}…</code>' in body
    assert f'<a href="/cases/{case.pk}/">{on_case.target_repr}</a>' in body
    assert f'href="/actions/{action.pk}/"' in body
    row = client.get(API, {"verb": "case.assigned"}).json()["results"][0]
    assert (row["sequence"], row["hash"], row["prev_hash"]) == (
        on_case.sequence,
        on_case.hash,
        on_case.prev_hash,
    )


def test_the_api_pages_newest_first_by_cursor_keeping_the_filters(client, manager):
    made = [one("case.noted", system="sweeper").sequence for _ in range(5)]
    one("case.other", system="sweeper")
    first = client.get(API, {"verb": "case.noted", "page_size": 3}).json()
    assert [r["sequence"] for r in first["results"]] == made[::-1][:3]
    rest = client.get(first["next"]).json()
    assert [r["sequence"] for r in rest["results"]] == made[::-1][3:]
    assert rest["next"] is None


def test_the_page_pages_back_keeping_the_filters(client, manager):
    made = [one("case.noted", system="sweeper").sequence for _ in range(103)]
    one("case.other", system="sweeper")
    first = client.get("/audit/", {"verb": "case.noted"})
    assert len(first.context["events"]) == 100
    assert f'href="?verb=case.noted&amp;before={made[3]}"' in first.content.decode()
    older = client.get("/audit/", {"verb": "case.noted", "before": made[3]})
    assert [e.sequence for e in older.context["events"]] == made[2::-1]


@pytest.mark.parametrize("role", [*OTHER_ROLES, None])
def test_everyone_but_managers_is_refused_the_api(client, make_user, role):
    user = make_user(role) if role else make_user(is_superuser=True, is_staff=True)
    client.force_login(user)
    assert client.get(API).status_code == 403
    assert client.get(API, {"verb": "auth.login"}).status_code == 403


def test_the_case_pages_audit_panel_takes_the_same_filters_for_its_case(client, manager, make_user):
    ivy = make_user(Role.INVESTIGATOR, username="ivy")
    case, elsewhere = make_case(), make_case()
    mine = one("case.assigned", actor=ivy, target=case)
    one("case.noted", system="sweeper", cases=[case.pk])
    one("case.assigned", actor=ivy, target=elsewhere)
    response = client.get(f"/cases/{case.pk}/", {"audit-actor": "ivy"})
    assert [e.sequence for e in response.context["audit"].items] == [mine.sequence]
    assert api_sequences(client, {"actor": "ivy", "case": case.pk}) == [mine.sequence]
    alone = client.get(f"/cases/{case.pk}/panels/audit/", {"actor": "ivy", "until": "soon"})
    assert alone.context["audit"].items == []
    assert "Until: Enter a valid date/time." in alone.content.decode()


# session, user, roles, the page of events; the account filter reads the
# account and its actions first (one query). The page also counts the
# navigation's unread notifications (PAGE_EXTRA).
QUERIES = 4
ACCOUNT_QUERIES = 5
PAGE_EXTRA = 1


def test_the_page_and_the_api_take_as_many_queries_for_sixty_events_as_for_one(
    client, manager, django_assert_num_queries
):
    case = make_case()
    account = make_account("acct_q")
    filters = {
        "since": "2020-01-01T00:00:00Z",
        "until": "2100-01-01T00:00:00Z",
        "verb": "case.noted",
        "case": case.pk,
        "account": "acct_q",
    }
    one("case.noted", system="sweeper", target=account, cases=[case.pk])
    for params, queries in (({}, QUERIES), (filters, ACCOUNT_QUERIES)):
        with django_assert_num_queries(queries + PAGE_EXTRA):
            assert len(client.get("/audit/", params).context["events"]) >= 1
        with django_assert_num_queries(queries):
            assert len(client.get(API, params).json()["results"]) >= 1
    for _ in range(60):
        one("case.noted", system="sweeper", target=account, cases=[case.pk])
    for params, queries in (({}, QUERIES), (filters, ACCOUNT_QUERIES)):
        with django_assert_num_queries(queries + PAGE_EXTRA):
            assert len(client.get("/audit/", params).context["events"]) >= 61
        with django_assert_num_queries(queries):
            assert len(client.get(API, params).json()["results"]) == 50
