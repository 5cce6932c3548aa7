"""The enforcement ledger: every action target of a period, signed, checked offline."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.chain import format_timestamp
from audit.exportfile import load_public_key, verify_export
from audit.exportformats import LEDGER_COLUMNS, LEDGER_FORMAT, ExportBroken
from audit.models import AuditEvent
from audit.signing import canonical
from cases.models import Tlp
from enforcement import ledger
from enforcement.execution import run_action
from enforcement.models import Action, ActionTarget, TargetState
from enforcement.workflow import (
    approve_action,
    expire_due_actions,
    propose_action,
    revert_action,
)
from people.roles import Role
from tests.audit.test_exports import both_verifiers, records_and_trailer
from tests.enforcement.conftest import make_case_with_accounts

pytestmark = pytest.mark.django_db

URL = "/api/v1/actions/ledger"
OTHER_ROLES = [r for r in Role if r != Role.MANAGER]


@pytest.fixture(autouse=True)
def _log_backend(settings):
    settings.ENFORCEMENT_BACKEND = "log"


@pytest.fixture
def manager(api, people):
    api.force_login(people.manager)
    return api


@pytest.fixture
def public_key(api):
    return api.get("/api/v1/audit/public-key").json()["public_key"]


def download(client, **params) -> bytes:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def records(data: bytes, output: str) -> list[dict]:
    """The ledger's records, every value as text (as a CSV cell holds it)."""
    head, body, _ = records_and_trailer(data, output)
    if output == "csv":
        return list(csv.DictReader(io.StringIO(b"".join([*head, *body]).decode(), newline="")))
    return [{k: "" if v is None else str(v) for k, v in json.loads(line).items()} for line in body]


def manifest_of(data: bytes) -> dict:
    """The trailer's manifest, as the file carries it (unchecked)."""
    last = data.splitlines()[-1]
    if last.startswith(b"{"):
        return json.loads(last)["manifest"]
    return json.loads(next(csv.reader([last.decode()]))[1])


def suspended(people, n=3, *, comment="Evidence is solid.", **kwargs):
    """An action suspending ``n`` accounts of a new case, approved and carried out."""
    case, accounts = make_case_with_accounts(n, **kwargs)
    action = propose_action(
        case.pk, actor=people.investigator, kind="suspend_accounts", rationale="Shared card"
    )
    approve_action(action.pk, actor=people.lead, comment=comment)
    run_action(action.pk)
    return action, accounts


@pytest.fixture
def wave(people):
    """A suspension with one target reverted on appeal, a termination approved by
    two leads with an expiry, and a proposal not yet decided."""
    suspension, accounts = suspended(people, 3, title="Wave one")
    one = suspension.targets.get(value=accounts[0].external_id)
    revert_action(suspension.pk, actor=people.lead, target_ids=[one.pk], reason="Appeal upheld")
    run_action(suspension.pk)

    case, _ = make_case_with_accounts(2, prefix="term", title="Wave two")
    termination = propose_action(
        case.pk,
        actor=people.investigator,
        kind="terminate_accounts",
        expires_at=timezone.now() + timedelta(days=30),
    )
    approve_action(termination.pk, actor=people.lead, comment="Agreed.")
    approve_action(termination.pk, actor=people.other_lead, comment="Confirmed, terminate.")
    run_action(termination.pk)

    case, _ = make_case_with_accounts(1, prefix="later", title="Wave three")
    pending = propose_action(case.pk, actor=people.investigator, kind="suspend_accounts")
    return suspension, termination, pending


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_timestamp(value)
    return str(value)


def expected_rows() -> list[dict]:
    """What the database holds, target by target, as the ledger should say it."""
    rows = []
    targets = ActionTarget.objects.select_related(
        "account",
        "action__case",
        "action__proposed_by",
        "action__approved_by",
        "action__second_approved_by",
    ).order_by("id")
    for target in targets:
        action = target.action
        revert = (
            AuditEvent.objects.filter(
                verb="action.revert_requested", target_id=str(action.pk)
            ).first()
            if target.state == TargetState.REVERTED
            else None
        )
        rows.append(
            {
                "target_id": text(target.pk),
                "account": text(target.account.external_id if target.account else None),
                "kind": action.kind,
                "case_id": text(action.case_id),
                "case_title": action.case.title,
                "proposed_by": action.proposed_by.username,
                "approved_by": text(action.approved_by and action.approved_by.username),
                "approval_comment": action.approval_comment,
                "second_approved_by": text(
                    action.second_approved_by and action.second_approved_by.username
                ),
                "second_approval_comment": action.second_approval_comment,
                "executed_at": text(target.executed_at),
                "target_state": target.state,
                "reference": target.reference,
                "reverted_at": text(target.reverted_at),
                "reverted_by": text(revert and revert.actor_username),
                "revert_reason": text(revert and revert.reason),
                "expires_at": text(action.expires_at),
            }
        )
    return rows


@pytest.mark.parametrize("output", ["csv", "jsonl"])
def test_the_ledger_matches_the_actions_and_targets_in_the_database(
    manager, public_key, wave, output
):
    suspension, termination, pending = wave
    data = download(manager, output=output)
    got = records(data, output)
    assert [{k: row[k] for k in expected} for row, expected in zip(got, expected_rows())] == (
        expected_rows()
    )
    assert len(got) == ActionTarget.objects.count() == 6
    assert [row["row"] for row in got] == [str(n) for n in range(1, 7)]
    assert sorted(got[0]) == sorted(LEDGER_COLUMNS)
    # What a regulator reads off it, said plainly.
    by_value = {row["value"]: row for row in got}
    reverted = by_value[suspension.targets.get(state=TargetState.REVERTED).value]
    assert (reverted["target_state"], reverted["reverted_by"]) == ("reverted", "lee")
    assert reverted["revert_reason"] == "Appeal upheld" and reverted["reverted_at"]
    kept = by_value[suspension.targets.filter(state=TargetState.EXECUTED).first().value]
    assert kept["reverted_by"] == kept["revert_reason"] == kept["reverted_at"] == ""
    assert kept["executed_at"] and kept["approved_by"] == "lee"
    terminated = [row for row in got if row["kind"] == "terminate_accounts"]
    assert {(r["approved_by"], r["second_approved_by"]) for r in terminated} == {("lee", "lou")}
    assert {r["second_approval_comment"] for r in terminated} == {"Confirmed, terminate."}
    assert {r["expires_at"] for r in terminated} == {text(termination.expires_at)}
    waiting = [row for row in got if row["action_id"] == str(pending.pk)]
    assert [(r["target_state"], r["executed_at"], r["approved_by"]) for r in waiting] == [
        ("pending", "", "")
    ]
    result = verify_export(data, load_public_key(public_key))
    assert result.rows == 6
    assert result.manifest["format"] == LEDGER_FORMAT
    assert result.manifest["generated_by"] == "max"


def test_an_expired_action_names_the_expiry_as_its_reverser(manager, people):
    action, _ = suspended(people, 1)
    Action.objects.filter(pk=action.pk).update(expires_at=timezone.now())
    assert expire_due_actions() == [action.pk]
    run_action(action.pk)
    (row,) = records(download(manager, output="jsonl"), "jsonl")
    assert (row["target_state"], row["reverted_by"], row["revert_reason"]) == (
        "reverted",
        "expiry",
        "The action expired.",
    )


def test_the_period_selects_actions_by_when_they_were_proposed(manager, public_key, wave):
    suspension, termination, pending = wave
    january = datetime(2026, 1, 15, tzinfo=UTC)
    Action.objects.filter(pk=suspension.pk).update(proposed_at=january)
    Action.objects.filter(pk=termination.pk).update(proposed_at=january + timedelta(days=31))
    data = download(
        manager, output="csv", since="2026-01-01T00:00:00Z", until="2026-02-01T00:00:00Z"
    )
    got = records(data, "csv")
    assert {row["action_id"] for row in got} == {str(suspension.pk)}
    assert len(got) == 3
    manifest = verify_export(data, load_public_key(public_key)).manifest
    assert manifest["filter"] == {
        "since": "2026-01-01T00:00:00+00:00",
        "until": "2026-02-01T00:00:00+00:00",
    }
    later = records(download(manager, output="jsonl", since="2026-02-01T00:00:00Z"), "jsonl")
    assert {row["action_id"] for row in later} == {str(termination.pk), str(pending.pk)}
    # The trail page's form sends the fields left empty: no bound, no filter.
    unbounded = download(manager, output="jsonl", since="", until="")
    assert manifest_of(unbounded)["filter"] == {} and len(records(unbounded, "jsonl")) == 6
    kind = records(download(manager, output="jsonl", kind="terminate_accounts"), "jsonl")
    assert {row["action_id"] for row in kind} == {str(termination.pk)}


@pytest.mark.parametrize("output", ["csv", "jsonl"])
def test_both_verifiers_accept_a_ledger(manager, public_key, tmp_path, wave, output):
    data = download(manager, output=output)
    command, status, message = both_verifiers(tmp_path, data, public_key)
    assert command == "ok"
    assert status == 0, message
    assert "ok: 6 rows verified against the signed manifest" in message
    assert "enforcement ledger: one row per action target" in message


def edit(rows):
    rows[1] = rows[1].replace(b"solid", b"faked")
    return rows


def delete(rows):
    del rows[1]
    return rows


def reorder(rows):
    rows[1], rows[2] = rows[2], rows[1]
    return rows


@pytest.mark.parametrize("output", ["csv", "jsonl"])
@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (edit, "row 2 (target {second}) was edited: its fields do not match its row_sha256"),
        (delete, "row 2 is missing (removed): row 3 follows row 1"),
        (reorder, "row 2 is out of order"),
    ],
)
def test_a_changed_row_is_named(manager, public_key, tmp_path, wave, output, tamper, named):
    head, rows, trailer = records_and_trailer(download(manager, output=output), output)
    data = b"".join([*head, *tamper(rows), trailer])
    command, status, message = both_verifiers(tmp_path, data, public_key)
    second = ActionTarget.objects.order_by("id").values_list("id", flat=True)[1]
    expected = named.format(second=second)
    assert expected in command
    assert status == 1 and expected in message


def test_an_edit_with_a_recomputed_row_digest_is_caught_by_the_body_digest(
    manager, public_key, tmp_path, wave
):
    lines = download(manager, output="jsonl").splitlines(keepends=True)
    forged = json.loads(lines[1])
    forged["approval_comment"] = "Never mind."
    cells = ["" if forged[c] is None else str(forged[c]) for c in LEDGER_COLUMNS[:-1]]
    forged["row_sha256"] = hashlib.sha256(canonical(cells)).hexdigest()
    lines[1] = canonical(forged) + b"\n"
    with pytest.raises(ExportBroken, match="the file's bytes differ from those the manifest"):
        verify_export(b"".join(lines), load_public_key(public_key))
    command, status, message = both_verifiers(tmp_path, b"".join(lines), public_key)
    assert "SHA-256 of the body" in command and status == 1 and "SHA-256 of the body" in message


@pytest.mark.parametrize("output", ["csv", "jsonl"])
def test_a_truncated_ledger_is_named(manager, public_key, tmp_path, wave, output):
    head, rows, trailer = records_and_trailer(download(manager, output=output), output)
    cut = b"".join([*head, *rows[:2], rows[2][:20]])
    command, status, message = both_verifiers(tmp_path, cut, public_key)
    assert "row 3 is not a complete record (file truncated or damaged)" in command
    assert status == 1 and "row 3 is not a complete record" in message
    command, status, message = both_verifiers(tmp_path, b"".join([*head, *rows[:3]]), public_key)
    assert "no manifest: the file ends after row 3" in command
    assert status == 1 and "no manifest: the file ends after row 3" in message
    command, status, message = both_verifiers(
        tmp_path, b"".join([*head, *rows[:3]]), public_key, manifest=trailer
    )
    assert "row 4 is missing: the file ends after row 3, the manifest lists 6 rows" in command
    assert status == 1 and "row 4 is missing" in message


@pytest.mark.parametrize("output", ["csv", "jsonl"])
def test_a_bad_signature_is_named(manager, public_key, tmp_path, wave, output):
    head, rows, trailer = records_and_trailer(download(manager, output=output), output)
    quote = b'""' if output == "csv" else b'"'
    named = quote + b"generated_by" + quote + b":" + quote
    altered = trailer.replace(named + b"max", named + b"eve")
    assert altered != trailer
    command, status, message = both_verifiers(
        tmp_path, b"".join([*head, *rows, altered]), public_key
    )
    assert "the manifest's signature does not verify with the given public key" in command
    assert status == 1 and "signature does not verify" in message


def test_an_audit_exports_manifest_does_not_pass_for_a_ledger(manager, public_key, wave):
    _, rows, _ = records_and_trailer(download(manager, output="jsonl"), "jsonl")
    audit_export = manager.get("/api/v1/audit/export", {"output": "jsonl"})
    audit_trailer = b"".join(audit_export.streaming_content).splitlines(keepends=True)[-1]
    with pytest.raises(ExportBroken, match="its manifest is not"):
        verify_export(b"".join([*rows, audit_trailer]), load_public_key(public_key))


def test_the_ledger_is_on_the_trail_before_its_first_byte(manager, wave):
    response = manager.get(URL, {"output": "jsonl", "kind": "suspend_accounts"})
    assert response.status_code == 200
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.verb == "enforcement.ledger_exported"
    assert event.actor_username == "max"
    assert event.after["filter"] == {"kind": "suspend_accounts"}
    assert event.after["rows"] == 4
    assert event.after["output"] == "jsonl"
    assert response["Dossier-Export-Rows"] == "4"
    data = b"".join(response.streaming_content)
    assert manifest_of(data)["export_event"] == event.sequence
    assert manifest_of(data)["rows"] == 4
    assert response["Content-Disposition"] == (
        f'attachment; filename="enforcement-ledger-{event.sequence}.jsonl"'
    )


def test_the_manifest_says_whether_tlp_red_cases_are_included(manager, people, public_key):
    red, _ = suspended(people, 1)
    red.case.tlp = Tlp.RED
    red.case.save(update_fields=["tlp"])
    amber, _ = suspended(people, 1)
    key = load_public_key(public_key)
    only_amber = verify_export(download(manager, case=str(amber.case_id)), key)
    assert only_amber.manifest["tlp_red_included"] is False and only_amber.rows == 1
    everything = verify_export(download(manager), key)
    assert everything.manifest["tlp_red_included"] is True and everything.rows == 2


def test_one_query_reads_a_page_however_many_targets_it_holds(manager, people, monkeypatch):
    def streamed_queries() -> int:
        response = manager.get(URL, {"output": "csv"})
        assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            b"".join(response.streaming_content)
        return len(queries.captured_queries)

    action, _ = suspended(people, 2)
    revert_action(action.pk, actor=people.lead, reason="Detector misfired")
    run_action(action.pk)
    small = streamed_queries()
    for _ in range(4):
        action, _ = suspended(people, 10)
        revert_action(action.pk, actor=people.lead, reason="Detector misfired")
        run_action(action.pk)
    assert ActionTarget.objects.count() == 42
    assert streamed_queries() == small == 1
    # Several pages: one query each.
    monkeypatch.setattr(ledger, "PAGE_SIZE", 10)
    assert streamed_queries() == 5


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_everyone_but_managers_is_refused(as_role, role):
    assert as_role(role).get(URL).status_code == 403


def test_anonymous_callers_are_refused(api):
    assert api.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"output": "xml"}, "output"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"kind": "ban_forever"}, "kind"),
        ({"case": "abc"}, "case"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(manager, params, field):
    before = AuditEvent.objects.count()
    response = manager.get(URL, params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert AuditEvent.objects.count() == before


def test_the_trail_page_offers_the_ledger_to_managers(manager):
    page = manager.get("/audit/")
    assert page.status_code == 200
    assert b'action="/api/v1/actions/ledger"' in page.content
    assert b'name="since"' in page.content and b'value="jsonl"' in page.content


def test_the_action_detail_route_still_answers_under_the_ledger(manager, people):
    action, _ = suspended(people, 1)
    assert manager.get(f"/api/v1/actions/{action.pk}/").json()["id"] == action.pk
