"""Signed exports of the audit trail: streamed, for managers, checked offline by
``manage.py audit verify --file`` and by ``scripts/verify_audit_export.py``."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.chain import compute_hash
from audit.checkpoints import anchor
from audit.events import record
from audit.exportfile import load_public_key, verify_export
from audit.exportformats import ExportBroken
from audit.models import AuditEvent
from people.roles import Role
from tests.audit.test_tampering import as_attacker, rehash_from
from tests.cases.factories import make_case
from tests.dossier.production_env import ROOT

pytestmark = pytest.mark.django_db

OTHER_ROLES = [r for r in Role if r != Role.MANAGER]
SCRIPT = ROOT / "scripts" / "verify_audit_export.py"


def add_events(n, cases=(), start=0):
    with transaction.atomic():
        return [
            record(
                "case.noted",
                system="test",
                cases=cases,
                reason=f'r{start + i}, with "quotes"; ünïcode',
                before={"b": i, "a": [1, 2]} if i % 2 else None,
                after={"note": f"n{i}"},
            )
            for i in range(n)
        ]


@pytest.fixture
def manager(as_role):
    return as_role(Role.MANAGER, username="mia")


@pytest.fixture
def public_key(api):
    return api.get("/api/v1/audit/public-key").json()["public_key"]


def event_time(record_) -> datetime:
    return datetime.strptime(record_["occurred_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def download(client, **params) -> bytes:
    response = client.get("/api/v1/audit/export", params)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def run_script(*args: str) -> subprocess.CompletedProcess:
    # No Django settings, no database: only the file and the key.
    env = {"PATH": os.environ["PATH"]}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def both_verifiers(tmp_path, data: bytes, key: str, manifest: bytes | None = None):
    """(the command's message, the script's exit status and message) for ``data``."""
    path = tmp_path / "export"
    path.write_bytes(data)
    args = ["--file", str(path), "--public-key", key]
    if manifest is not None:
        (tmp_path / "manifest").write_bytes(manifest)
        args += ["--manifest", str(tmp_path / "manifest")]
    try:
        call_command("audit", "verify", *args)
        command = "ok"
    except CommandError as exc:
        command = str(exc)
    script = run_script(*args)
    return command, script.returncode, script.stdout + script.stderr


@pytest.mark.parametrize("output", ["csv", "jsonl"])
def test_a_filtered_export_round_trips_through_both_verifiers(
    manager, public_key, tmp_path, output
):
    add_events(3)
    add_events(4, cases=[77])
    data = download(manager, output=output, case="77")
    result = verify_export(data, load_public_key(public_key))
    assert result.rows == 4
    assert result.manifest["filter"] == {"case": "77"}
    assert result.manifest["generated_by"] == "mia"
    command, status, message = both_verifiers(tmp_path, data, public_key)
    assert command == "ok"
    assert status == 0, message
    assert "ok: 4 rows verified against the signed manifest" in message


@pytest.mark.parametrize("output", ["csv", "jsonl"])
def test_reasons_over_several_lines_and_null_documents_round_trip(manager, public_key, output):
    with transaction.atomic():
        record("case.noted", system="test", cases=[6], reason='first line\r\nsecond, "quoted"\n')
        record("case.noted", system="test", cases=[6], before=None, after={"k": ""})
    data = download(manager, output=output, case="6")
    assert verify_export(data, load_public_key(public_key)).rows == 2


def test_each_record_carries_its_sequence_hashes_and_fields(manager):
    (event,) = add_events(1, cases=[5])
    lines = download(manager, output="jsonl", case="5").splitlines()
    first = json.loads(lines[0])
    assert first["row"] == 1
    assert first["sequence"] == event.sequence
    assert first["hash"] == event.hash
    assert first["prev_hash"] == event.prev_hash
    assert first["case_ids"] == [5]
    assert json.loads(first["after"]) == {"note": "n0"}
    assert first["reason"] == 'r0, with "quotes"; ünïcode'
    manifest = json.loads(lines[-1])["manifest"]
    assert manifest["rows"] == 1
    assert manifest["first"] == manifest["last"] == {"sequence": event.sequence, "hash": event.hash}


def test_the_signature_verifies_with_the_public_key_alone(manager, public_key):
    add_events(2)
    trailer = json.loads(download(manager, output="jsonl").splitlines()[-1])
    key = load_public_key(public_key)
    signed = json.dumps(trailer["manifest"], sort_keys=True, separators=(",", ":")).encode()
    key.verify(base64.b64decode(trailer["signature"]), signed)  # raises when it does not


def test_the_public_key_is_public_and_given_as_base64_and_pem(api, settings):
    answer = api.get("/api/v1/audit/public-key")
    assert answer.status_code == 200
    body = answer.json()
    expected = Ed25519PrivateKey.from_private_bytes(settings.AUDIT_SIGNING_KEY).public_key()
    assert base64.b64decode(body["public_key"]) == expected.public_bytes(
        Encoding.Raw, PublicFormat.Raw
    )
    assert load_public_key(body["pem"]).public_bytes(Encoding.Raw, PublicFormat.Raw) == (
        base64.b64decode(body["public_key"])
    )


# Tampering: each is caught by both verifiers and named with its row.


def records_and_trailer(data: bytes, output: str) -> tuple[list[bytes], list[bytes], bytes]:
    lines = data.splitlines(keepends=True)
    head = lines[:1] if output == "csv" else []
    return head, lines[len(head) : -1], lines[-1]


def edit(records):
    records[1] = records[1].replace(b"r4", b"r9")
    return records


def delete(records):
    del records[1]
    return records


def reorder(records):
    records[1], records[2] = records[2], records[1]
    return records


@pytest.mark.parametrize("output", ["csv", "jsonl"])
@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (edit, "row 2 (event {second}) was edited: its fields do not match its hash"),
        (delete, "row 2 is missing (removed): row 3 follows row 1"),
        (reorder, "row 2 is out of order"),
    ],
)
def test_a_changed_row_is_named(manager, public_key, tmp_path, output, tamper, named):
    events = add_events(4, cases=[8], start=3)
    head, records, trailer = records_and_trailer(download(manager, output=output, case="8"), output)
    data = b"".join([*head, *tamper(records), trailer])
    command, status, message = both_verifiers(tmp_path, data, public_key)
    expected = named.format(second=events[1].sequence)
    assert expected in command
    assert status == 1
    assert expected in message


@pytest.mark.parametrize("output", ["csv", "jsonl"])
def test_a_truncated_file_is_named(manager, public_key, tmp_path, output):
    add_events(4, cases=[8])
    data = download(manager, output=output, case="8")
    head, records, trailer = records_and_trailer(data, output)
    # Cut inside the third record: the trailer goes with it.
    cut = b"".join([*head, *records[:2], records[2][:20]])
    command, status, message = both_verifiers(tmp_path, cut, public_key)
    assert "row 3 is not a complete record (file truncated or damaged)" in command
    assert status == 1 and "row 3 is not a complete record" in message
    # Cut at a record's end: no manifest left.
    command, status, message = both_verifiers(tmp_path, b"".join([*head, *records[:3]]), public_key)
    assert "no manifest: the file ends after row 3" in command
    assert status == 1 and "no manifest: the file ends after row 3" in message
    # With the manifest saved apart, the missing row is named.
    command, status, message = both_verifiers(
        tmp_path, b"".join([*head, *records[:3]]), public_key, manifest=trailer
    )
    assert "row 4 is missing: the file ends after row 3, the manifest lists 4 rows" in command
    assert status == 1 and "row 4 is missing" in message


@pytest.mark.parametrize("output", ["csv", "jsonl"])
def test_a_manifest_of_another_export_is_named(manager, public_key, tmp_path, output):
    add_events(2, cases=[8])
    add_events(3, cases=[9])
    _, _, other_trailer = records_and_trailer(download(manager, output=output, case="9"), output)
    head, records, _ = records_and_trailer(download(manager, output=output, case="8"), output)
    command, status, message = both_verifiers(
        tmp_path, b"".join([*head, *records, other_trailer]), public_key
    )
    assert "row 1 is not the manifest's first event" in command
    assert status == 1 and "row 1 is not the manifest's first event" in message


@pytest.mark.parametrize("output", ["csv", "jsonl"])
def test_an_altered_manifest_fails_its_signature(manager, public_key, tmp_path, output):
    add_events(3, cases=[8])
    head, records, trailer = records_and_trailer(download(manager, output=output, case="8"), output)
    altered = trailer.replace(b"mia", b"eve")
    command, status, message = both_verifiers(
        tmp_path, b"".join([*head, *records, altered]), public_key
    )
    assert "the manifest's signature does not verify with the given public key" in command
    assert status == 1 and "signature does not verify" in message


def test_another_public_key_fails_the_signature(manager, tmp_path):
    add_events(2)
    data = download(manager, output="jsonl")
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    command, status, message = both_verifiers(tmp_path, data, base64.b64encode(other).decode())
    assert "signature does not verify with the given public key" in command
    assert status == 1 and "signature does not verify" in message


def test_a_rehashed_record_is_caught_by_the_signed_body_digest(manager, public_key):
    # An edit whose hash is recomputed proves itself alone; the signed
    # SHA-256 of the body still catches it.
    for _ in range(3):
        add_events(1, cases=[3])
        add_events(1)
    lines = download(manager, output="jsonl", case="3").splitlines(keepends=True)
    record_ = {k: v for k, v in json.loads(lines[1]).items() if k not in ("row", "hash")}
    record_["reason"] = "forged"
    rehashed = compute_hash(**{**record_, "occurred_at": event_time(record_)})
    record_ = {"row": 2, **record_, "hash": rehashed}
    lines[1] = json.dumps(record_, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    with pytest.raises(
        ExportBroken, match="the file's bytes differ from those the manifest signed"
    ):
        verify_export(b"".join(lines), load_public_key(public_key))


# Streaming, who may export, bad input, the trail.


def test_the_first_rows_are_sent_before_the_last_page_is_read(manager, settings):
    settings.AUDIT_EXPORT_PAGE_SIZE = 10
    add_events(35)
    response = manager.get("/api/v1/audit/export", {"output": "jsonl"})
    assert response.status_code == 200
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as queries:
        first = next(chunks)
        pages_before_first_chunk = sum("ORDER BY" in q["sql"] for q in queries.captured_queries)
        rest = list(chunks)
        pages = sum("ORDER BY" in q["sql"] for q in queries.captured_queries)
    assert json.loads(first.splitlines()[0])["row"] == 1
    assert pages_before_first_chunk == 1
    assert pages == 4  # 36 events (and the manager's sign-in) at 10 a page
    assert len(rest) == 4  # three more pages and the trailer


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_everyone_but_managers_is_refused(as_role, role):
    assert as_role(role).get("/api/v1/audit/export").status_code == 403


def test_anonymous_callers_are_refused(api):
    assert api.get("/api/v1/audit/export").status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"output": "xml"}, "output"),
        ({"case": "abc"}, "case"),
        ({"case": "0"}, "case"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(manager, params, field):
    response = manager.get("/api/v1/audit/export", params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_a_range_above_one_download_is_a_400_naming_the_range(manager, settings):
    settings.AUDIT_EXPORT_SYNC_MAX_ROWS = 5
    add_events(6)
    response = manager.get("/api/v1/audit/export", {"output": "csv"})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "since"
    assert "selects 7 events, more than the 5 one download may hold" in error["message"]
    assert "POST /api/v1/audit/export-jobs" in error["message"]
    assert not AuditEvent.objects.filter(verb="audit.exported").exists()


def test_the_export_takes_the_trail_filter(manager, public_key):
    add_events(2, cases=[8])
    with transaction.atomic():
        record("case.assigned", system="test", cases=[8])
    result = verify_export(
        download(manager, output="csv", case="8", verb="case.assigned"), load_public_key(public_key)
    )
    assert result.rows == 1
    assert result.manifest["filter"] == {"case": "8", "verb": "case.assigned"}


def test_every_export_is_on_the_trail_with_its_filter_and_count(manager):
    add_events(2, cases=[8])
    data = download(manager, output="jsonl", case="8")
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.verb == "audit.exported"
    assert event.actor_username == "mia"
    assert event.case_ids == [8]
    assert event.after["filter"] == {"case": "8"}
    assert event.after["rows"] == 2
    assert event.after["output"] == "jsonl"
    # The export stops at the head when it began: its own event is not in it.
    manifest = json.loads(data.splitlines()[-1])["manifest"]
    assert manifest["export_event"] == event.sequence
    assert manifest["through_sequence"] == event.sequence - 1


def test_the_manifest_says_whether_tlp_red_cases_are_included(manager, public_key):
    red = make_case(tlp="red")
    amber = make_case(tlp="amber")
    add_events(1, cases=[amber.pk])
    key = load_public_key(public_key)
    only_amber = verify_export(download(manager, output="jsonl", case=str(amber.pk)), key)
    assert only_amber.manifest["tlp_red_included"] is False
    add_events(1, cases=[red.pk])
    everything = verify_export(download(manager, output="jsonl"), key)
    assert everything.manifest["tlp_red_included"] is True


def test_the_trail_page_exports_its_filter_and_shows_the_key(manager, public_key):
    page = manager.get("/audit/", {"case": "12", "before": "99"})
    form = page.content.decode().split('id="audit-export"')[1].split("</form>")[0]
    assert '<input type="hidden" name="case" value="12">' in form
    assert 'name="before"' not in form  # the paging cursor is the page's alone
    assert 'value="csv"' in form and 'value="jsonl"' in form
    assert public_key.encode() in page.content


def test_the_trail_page_downloads_a_small_export_at_once(manager, public_key):
    add_events(3, cases=[12])
    response = manager.post("/audit/exports/start", {"output": "csv", "case": "12"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-export-')
    result = verify_export(b"".join(response.streaming_content), load_public_key(public_key))
    assert result.rows == 3
    assert result.manifest["filter"] == {"case": "12"}


def test_a_bad_filter_sent_from_the_page_is_named_on_the_trail_page(manager):
    response = manager.post(
        "/audit/exports/start", {"output": "csv", "case": "12", "since": "soon"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/audit/?since=soon&case=12"
    assert "since: Enter a valid date/time." in response.content.decode()


def test_the_offline_checker_imports_no_django():
    check = "import sys; sys.path.insert(0, '.'); import audit.exportfile; print('django' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_the_manifest_carries_the_latest_chain_checkpoint(manager, public_key, tmp_path):
    add_events(4)
    line = anchor()
    data = download(manager, output="jsonl")
    manifest = json.loads(data.splitlines()[-1])["manifest"]
    assert manifest["checkpoint"] == line
    command, status, output = both_verifiers(tmp_path, data, public_key)
    assert (command, status) == ("ok", 0)
    assert f"chain checkpoint: event {line['sequence']} hash {line['hash']}" in output
    assert f"--expect-head {line['sequence']} {line['hash']}" in output


def test_an_export_of_a_rewritten_database_disagrees_with_its_checkpoint(manager, public_key):
    events = add_events(4)
    line = anchor()
    # Rewritten after its anchor, its hash recomputed: the file alone cannot tell.
    as_attacker(
        ("UPDATE audit_auditevent SET reason = 'nothing' WHERE sequence = %s", [line["sequence"]])
    )
    rehash_from(line["sequence"])
    assert line["sequence"] == events[-1].sequence
    with pytest.raises(ExportBroken, match="differs from the signed chain checkpoint") as raised:
        verify_export(download(manager, output="csv"), load_public_key(public_key))
    assert raised.value.row == line["sequence"]


def test_awkward_cells_round_trip_through_both_verifiers(manager, public_key, tmp_path):
    with transaction.atomic():
        for reason in ["\\.", "  spaced  ", "", 'a,"b"\r\nc', "tab\there"]:
            record("case.noted", system="", cases=[3, 1, 2], reason=reason, after={"r": reason})
    data = download(manager, output="csv")
    assert data.count(b"\n") > 6  # a record's own line breaks stay inside its quotes
    command, status, output = both_verifiers(tmp_path, data, public_key)
    assert (command, status) == ("ok", 0), output
    assert output.startswith("ok: 6 rows verified")
