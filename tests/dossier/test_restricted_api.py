"""A TLP:RED case the caller may not see is, on every API path, no case at all.

Each operation that names a case, or something of a case (an action, evidence,
a review flag, a linked account), answers such a case exactly as it answers
one that does not exist: 404, never a 403 that would tell it exists.
"""

from __future__ import annotations

import pytest

from cases import workflow
from cases.models import Indicator, ReviewFlag, ReviewFlagKind, Tlp
from enforcement.workflow import propose_action
from tests.cases.factories import link, make_account, make_case

pytestmark = pytest.mark.django_db

MISSING = 987654321


@pytest.fixture
def red(make_user):
    """A TLP:RED case assigned to someone else, with an action, evidence and a flag."""
    lead = make_user("lead")
    case = make_case(status="investigating", assignee=lead)
    account = make_account("acct_red")
    link(case, account)
    indicator = Indicator.objects.create(type="payment_fingerprint", value="pf_red")
    flag = ReviewFlag.objects.create(
        case=case, indicator=indicator, kind=ReviewFlagKind.WORKED_CASES
    )
    evidence = workflow.add_evidence_text(case.pk, title="t", content="c", actor=lead)
    action = propose_action(case.pk, actor=lead, kind="suspend_accounts", rationale="r")
    case.refresh_from_db()
    workflow.set_tlp(case.pk, Tlp.RED, actor=lead, reason="restricted", version=case.version)
    return {"case": case.pk, "action": action.pk, "evidence": evidence.pk, "flag": flag.pk}


def operations(ids: dict) -> list[tuple[str, str, dict]]:
    case, action = ids["case"], ids["action"]
    c = f"/api/v1/cases/{case}"
    a = f"/api/v1/actions/{action}"
    return [
        ("get", f"{c}/", {}),
        ("get", f"{c}/transitions/", {}),
        ("post", f"{c}/transitions/", {"to_status": "escalated", "level": "legal"}),
        ("post", f"{c}/assign/", {"assignee": "me"}),
        ("post", f"{c}/severity/", {"severity": "high"}),
        ("post", f"{c}/attribution/", {"actor": "x"}),
        ("post", f"{c}/merge/", {"cases": [1], "reason": "r", "confirm": True}),
        ("get", f"{c}/tlp/", {}),
        ("post", f"{c}/tlp/", {"tlp": "amber"}),
        ("get", f"{c}/tags/", {}),
        ("post", f"{c}/tags/", {"add": ["x"]}),
        ("get", f"{c}/notes/", {}),
        ("post", f"{c}/notes/", {"body": "hello"}),
        ("get", f"{c}/evidence/", {}),
        ("post", f"{c}/evidence/", {"title": "t", "content": "c"}),
        ("get", f"{c}/evidence/{ids['evidence']}/content/", {}),
        ("get", f"{c}/accounts/", {}),
        ("post", f"{c}/accounts/", {"external_id": "acct_red", "reason": "r"}),
        ("delete", f"{c}/accounts/acct_red/", {"reason": "r"}),
        ("post", f"{c}/review-flags/{ids['flag']}/", {"decision": "dismiss", "reason": "r"}),
        ("post", "/api/v1/actions/", {"case": case, "kind": "suspend_accounts"}),
        ("get", f"{a}/", {}),
        ("get", f"{a}/targets/", {}),
        ("post", f"{a}/approve/", {}),
        ("post", f"{a}/reject/", {"comment": "no"}),
        ("post", f"{a}/withdraw/", {"reason": "r"}),
        ("post", f"{a}/revert/", {"reason": "r"}),
        ("post", f"{a}/retry/", {}),
    ]


@pytest.mark.parametrize("role", ["investigator", "policy", "legal", "executive"])
def test_a_restricted_case_answers_as_a_missing_one_on_every_path(as_role, red, role):
    api = as_role(role)
    missing = {key: MISSING for key in red}
    differences = []
    for (method, path, body), (_, missing_path, missing_body) in zip(
        operations(red), operations(missing), strict=True
    ):
        answer = getattr(api, method)(path, body, format="json")
        absent = getattr(api, method)(missing_path, missing_body, format="json")
        # Only proposing names the case in its body: a role that may never
        # propose is refused (403) whatever the case, missing or restricted.
        expected = 403 if path == "/api/v1/actions/" and role != "investigator" else 404
        if (answer.status_code, absent.status_code) != (expected, expected):
            differences.append(
                f"{method} {path}: {answer.status_code} (missing: {absent.status_code})"
            )
    assert differences == []
