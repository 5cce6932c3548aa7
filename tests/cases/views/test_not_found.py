"""A case the person may not see answers exactly as a case that does not exist:
its page, every route under it, its actions, and the API alike."""

import re

import pytest

from cases.models import Account, CaseAccount, Evidence, ReviewFlag
from enforcement.workflow import propose_action
from tests.cases.factories import make_case, make_indicator

pytestmark = pytest.mark.django_db

MISSING = 987_654

PAGE_GETS = [
    "/cases/{case}/",
    "/cases/{case}/panels/accounts/",
    "/cases/{case}/panels/timeline/",
    "/cases/{case}/panels/audit/",
    "/cases/{case}/evidence/{evidence}/",
    "/actions/propose/{case}/",
    "/actions/{action}/",
    "/actions/{action}/progress.json",
]
PAGE_POSTS = [
    "/cases/{case}/assign/",
    "/cases/{case}/tlp/",
    "/cases/{case}/tags/",
    "/cases/{case}/severity/",
    "/cases/{case}/attribution/",
    "/cases/{case}/transition/",
    "/cases/{case}/notes/",
    "/cases/{case}/merge/",
    "/cases/{case}/evidence/",
    "/cases/{case}/accounts/",
    "/cases/{case}/accounts/selected/",
    "/cases/{case}/review-flags/{flag}/",
    "/actions/propose/{case}/",
    "/actions/{action}/approve/",
    "/actions/{action}/reject/",
    "/actions/{action}/withdraw/",
    "/actions/{action}/retry/",
    "/actions/{action}/revert/",
    "/actions/{action}/targets/{target}/revert/",
    "/actions/{action}/targets/{target}/override/",
]
API_CALLS = [
    ("get", "/api/v1/cases/{case}/"),
    ("get", "/api/v1/cases/{case}/notes/"),
    ("post", "/api/v1/cases/{case}/notes/"),
    ("get", "/api/v1/cases/{case}/evidence/"),
    ("get", "/api/v1/cases/{case}/evidence/{evidence}/content/"),
    ("get", "/api/v1/cases/{case}/accounts/"),
    ("post", "/api/v1/cases/{case}/accounts/"),
    ("delete", "/api/v1/cases/{case}/accounts/{external_id}/"),
    ("post", "/api/v1/cases/{case}/transitions/"),
    ("post", "/api/v1/cases/{case}/assign/"),
    ("post", "/api/v1/cases/{case}/tlp/"),
    ("post", "/api/v1/cases/{case}/tags/"),
    ("post", "/api/v1/cases/{case}/severity/"),
    ("post", "/api/v1/cases/{case}/merge/"),
    ("post", "/api/v1/cases/{case}/attribution/"),
    ("post", "/api/v1/cases/{case}/review-flags/{flag}/"),
    ("get", "/api/v1/actions/{action}/"),
    ("get", "/api/v1/actions/{action}/targets/"),
    ("post", "/api/v1/actions/{action}/approve/"),
    ("post", "/api/v1/actions/{action}/reject/"),
    ("post", "/api/v1/actions/{action}/withdraw/"),
    ("post", "/api/v1/actions/{action}/revert/"),
    ("post", "/api/v1/actions/{action}/retry/"),
]


@pytest.fixture
def restricted(make_user):
    """A TLP:RED case with something under every route, and ids that name nothing."""
    lead = make_user("lead")
    case = make_case(title="Red case", tlp="red", status="investigating")
    account = Account.objects.create(external_id="acct_red_1")
    CaseAccount.objects.create(case=case, account=account, reason="seen", linked_by_detector="d")
    evidence = Evidence.objects.create(case=case, kind="text", title="sample", content="x")
    indicator = make_indicator("payment_fingerprint", "pf_red", account)
    flag = ReviewFlag.objects.create(case=case, indicator=indicator, kind="worked_cases")
    action = propose_action(case.pk, actor=lead, kind="suspend_accounts")
    ids = {
        "case": case.pk,
        "evidence": evidence.pk,
        "account": account.pk,
        "external_id": account.external_id,
        "flag": flag.pk,
        "action": action.pk,
        "target": action.targets.first().pk,
    }
    missing = {key: MISSING + n for n, key in enumerate(ids)} | {"external_id": "acct_none"}
    return ids, missing


def comparable(response, route: str, named: dict) -> tuple[int, str, str]:
    """The answer with what differs by nature put aside: the CSRF token, masked
    anew at each rendering, and in a JSON message the ids the request named."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    if response.get("Content-Type", "").startswith("application/json"):
        for key, value in named.items():
            if "{" + key + "}" in route:
                body = re.sub(rf"\b{re.escape(str(value))}\b", "{" + key + "}", body)
    return response.status_code, response.get("Content-Type", ""), body


@pytest.fixture
def outsider(client, make_user):
    client.force_login(make_user("investigator", username="ivy"))
    return client


@pytest.mark.parametrize("route", PAGE_GETS)
def test_a_restricted_page_reads_as_not_found(outsider, restricted, route):
    ids, missing = restricted
    seen = comparable(outsider.get(route.format(**ids)), route, ids)
    assert seen[0] == 404
    assert seen == comparable(outsider.get(route.format(**missing)), route, missing)


@pytest.mark.parametrize("route", PAGE_POSTS)
def test_a_step_on_a_restricted_case_reads_as_not_found(outsider, restricted, route):
    ids, missing = restricted
    data = {"reason": "because", "version": 1, "body": "hello", "to_status": "closed"}
    seen = comparable(outsider.post(route.format(**ids), data), route, ids)
    assert seen[0] == 404
    assert seen == comparable(outsider.post(route.format(**missing), data), route, missing)


@pytest.mark.parametrize(("method", "route"), API_CALLS)
def test_the_api_answers_a_restricted_case_as_a_missing_one(as_role, restricted, method, route):
    ids, missing = restricted
    api = as_role("investigator")
    call = getattr(api, method)
    data = {"reason": "because", "version": 1, "body": "hello", "to_status": "closed"}
    seen = comparable(call(route.format(**ids), data, format="json"), route, ids)
    unknown = comparable(call(route.format(**missing), data, format="json"), route, missing)
    assert seen[0] == 404
    assert seen == unknown


def test_the_not_found_page_is_in_the_apps_chrome(outsider, restricted):
    ids, _ = restricted
    body = outsider.get(f"/cases/{ids['case']}/").content.decode()
    assert "<h1>Not found</h1>" in body
    assert 'aria-label="Main"' in body  # the navigation, as on every page
    assert "Red case" not in body
