"""Every operation of the OpenAPI schema, fuzzed over real HTTP against gunicorn.

Schemathesis draws requests from the schema Dossier serves at /api/schema/
and sends each as a caller allowed to make it: a lead's personal token for
the people's endpoints (leads may use every one of them but the audit
trail's and the enforcement ledger, which a manager's token calls), a detector token
for the alerts endpoints. Path parameters name objects that exist (cases,
an action, accounts, evidence, a review flag, a batch) or, now and then, one
that does not. Each answer must be no 5xx and must be what the schema
declares: the status, the content type and the body.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from audit.models import ExportJob
from cases import workflow as cases_workflow
from cases.models import Evidence, Indicator, ReviewFlag, ReviewFlagKind
from enforcement import workflow as enforcement_workflow
from ingestion.detectors import create_detector
from notifications.models import Notification
from people.tokens import issue_personal_token
from tests.cases.factories import link, make_account, make_case, make_indicator
from tests.ingestion.conftest import make_alert

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# An id no object has: a path naming it must answer 404, as declared.
MISSING = 987654321

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gunicorn(gunicorn_server):
    return gunicorn_server()


@pytest.fixture
def world(gunicorn, make_user):
    """Objects for the paths to name, the callers' tokens, and a batch posted over HTTP."""
    lead = make_user("lead", username="fuzz-lead")
    manager = make_user("manager", username="fuzz-mia")
    _, manager_token = issue_personal_token(manager, "fuzz")
    investigator = make_user("investigator", username="fuzz-ivy")
    _, lead_token = issue_personal_token(lead, "fuzz")
    detector = create_detector("fuzzer", rate=0)

    cases = [
        make_case(status="investigating", title="Open network"),
        make_case(status="new", title="Fresh"),
        make_case(status="investigating", tlp="red", assignee=investigator, title="Restricted"),
        make_case(status="closed", resolution="benign", title="Closed"),
    ]
    accounts = [make_account(f"acct_fuzz_{n}") for n in range(4)]
    for case in cases:
        for account in accounts[:2]:
            link(case, account)
    indicator = make_indicator("payment_fingerprint", "pf_fuzz", *accounts)
    flag = ReviewFlag.objects.create(
        case=cases[0], indicator=indicator, kind=ReviewFlagKind.WORKED_CASES
    )
    cases_workflow.add_note(cases[0].pk, "first look", actor=lead)
    cases_workflow.add_evidence_text(cases[0].pk, title="sample", content="prompt text", actor=lead)
    shared = cases_workflow.add_known_shared(
        "payment_fingerprint", "pf_reseller", actor=lead, reason="a reseller"
    )
    action = enforcement_workflow.propose_action(
        cases[0].pk, actor=investigator, kind="suspend_accounts", rationale="clear abuse"
    )
    posted = requests.post(
        f"{gunicorn}/api/v1/alerts/",
        data=json.dumps(make_alert("fuzz-1")),
        headers={
            "Authorization": f"Bearer {detector.token}",
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    assert posted.status_code == 202, posted.text
    case_ids = [case.pk for case in cases]
    entry = Notification.objects.create(
        person=lead, kind="case_assigned", event_id=1, case=cases[0], text="assigned to you"
    )
    export_job = ExportJob.objects.create(
        requested_by=manager,
        output="csv",
        through_sequence=1,
        rows=1,
        generated_at="2026-01-01T00:00:00.000000Z",
        export_event=1,
    )
    return {
        "lead": {"Authorization": f"Bearer {lead_token}"},
        "manager": {"Authorization": f"Bearer {manager_token}"},
        "detector": {"Authorization": f"Bearer {detector.token}"},
        # Values each path parameter is drawn from, by the path's first segment.
        "ids": {
            "cases": [*case_ids, MISSING],
            "actions": [action.pk, MISSING],
            "accounts": [*(account.pk for account in accounts), MISSING],
            "indicators": [*Indicator.objects.values_list("pk", flat=True), MISSING],
            "known-shared": [shared.pk, MISSING],
            "notifications": [entry.pk, MISSING],
        },
        "external_id": [*(a.external_id for a in accounts), "acct_nobody"],
        "evidence_id": [*Evidence.objects.values_list("pk", flat=True), MISSING],
        "flag_id": [flag.pk, MISSING],
        "batch_id": [posted.json()["batch"], "00000000-0000-0000-0000-000000000000"],
        "job_id": [str(export_job.pk), "00000000-0000-0000-0000-000000000000"],
    }


def path_values(operation, world) -> dict[str, list]:
    """Real values (and one missing) for each of ``operation``'s path parameters."""
    segment = operation.path.removeprefix("/api/v1/").split("/")[0]
    values = {}
    for name in ("id", "external_id", "evidence_id", "flag_id", "batch_id", "job_id"):
        if "{" + name + "}" in operation.path:
            values[name] = world["ids"][segment] if name == "id" else world[name]
    return values


def is_detector_operation(operation) -> bool:
    return any("detectorToken" in way for way in operation.definition.raw.get("security", []))


def caller(operation, world) -> dict:
    if is_detector_operation(operation):
        return world["detector"]
    # The audit trail's endpoints and the enforcement ledger are the managers';
    # a lead would only be refused.
    if operation.path.startswith("/api/v1/audit/") or operation.path == "/api/v1/actions/ledger":
        return world["manager"]
    return world["lead"]


def fuzz(operation, base_url: str, world, tally: Counter, statuses: Counter) -> None:
    headers = caller(operation, world)
    parameters = path_values(operation, world)
    strategy = operation.as_strategy()

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    # ``round`` keeps an operation whose every input is fixed (a GET of one
    # case) from stopping at its few distinct requests: each round is a call.
    @given(
        case=strategy,
        chosen=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in parameters.items()}),
        round=st.integers(min_value=0, max_value=10**6),
    )
    def run(case, chosen, round):
        case.path_parameters = {**(case.path_parameters or {}), **chosen}
        response = case.call(base_url=base_url, headers=headers, timeout=60)
        tally[operation.label] += 1
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    run()


def test_every_api_operation_survives_fuzzing_and_answers_as_its_schema_says(
    gunicorn, world, tmp_path, report_figure
):
    schema = schemathesis.openapi.from_url(
        f"{gunicorn}/api/schema/", headers=world["lead"], timeout=60
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    tally: Counter = Counter()
    statuses: Counter = Counter()
    failures = []
    for operation in operations:
        try:
            fuzz(operation, gunicorn, world, tally, statuses)
        except (Exception, BaseExceptionGroup) as exc:  # every operation runs; all are shown
            failures.append(f"{operation.label}: {exc}")

    labels = [operation.label for operation in operations]
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    total = sum(tally[label] for label in labels)
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    summary = (
        f"API fuzz: {len(labels)} operations, {total} examples "
        f"(at least {min(tally[label] for label in labels)} each), {server_errors} 5xx answers; "
        f"answers by status: {answers}"
    )
    (tmp_path / "api-fuzz-summary.txt").write_text(
        summary + "\n" + "\n".join(f"{tally[label]:4d} {label}" for label in labels) + "\n"
    )
    report_figure(summary)
    print(f"\n{summary}")
    for label in labels:
        print(f"{tally[label]:4d} {label}")
    assert not failures, "\n\n".join(failures)
    assert min(tally[label] for label in labels) >= EXAMPLES_PER_OPERATION
    assert server_errors == 0
    assert len(labels) >= 40
