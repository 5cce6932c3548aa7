"""Evidence files: the size limit holds before anything is stored, and the hash is of the bytes kept."""

import hashlib
import io
import stat

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from cases import evidence_store, workflow
from cases.models import Evidence
from tests.cases.helpers import stored_files


class LyingUpload(io.BytesIO):
    """A stream whose declared size is smaller than what it delivers."""

    name = "capture.pcap"
    content_type = "application/vnd.tcpdump.pcap"
    size = 10


@pytest.fixture
def evidence_root(evidence_root, settings):
    """The shared evidence folder, with a limit small enough to cross in a test."""
    settings.EVIDENCE_MAX_BYTES = 1024
    return evidence_root


def test_an_upload_declared_over_the_limit_is_refused_before_anything_is_stored(
    evidence_root, person, make_case
):
    case = make_case("investigating")
    upload = SimpleUploadedFile("big.bin", b"x" * 1025)

    with pytest.raises(workflow.EvidenceTooLarge, match="at most 1024 bytes"):
        workflow.add_evidence_file(case, upload, actor=person("investigator"))

    assert stored_files() == []
    assert not evidence_root.exists()
    assert Evidence.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_stream_longer_than_declared_is_stopped_and_its_partial_file_removed(
    evidence_root, person, make_case
):
    case = make_case("investigating")
    upload = LyingUpload(b"y" * 500_000)

    with pytest.raises(workflow.EvidenceTooLarge):
        workflow.add_evidence_file(case, upload, actor=person("investigator"))

    assert stored_files() == []
    assert Evidence.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    # Stopped at the limit rather than reading the whole stream.
    assert upload.tell() < 500_000


def test_an_upload_at_the_limit_is_kept_with_the_sha256_of_its_bytes(
    evidence_root, person, make_case
):
    case = make_case("investigating")
    content = bytes(range(256)) * 4  # exactly 1024 bytes
    investigator = person("investigator")

    evidence = workflow.add_evidence_file(
        case,
        SimpleUploadedFile("../../etc/passwd", content, content_type="application/octet-stream"),
        actor=investigator,
        title="Traffic capture",
        reason="from the proxy logs",
    )

    evidence.refresh_from_db()
    (path,) = stored_files()
    assert path.read_bytes() == content
    assert hashlib.sha256(path.read_bytes()).hexdigest() == evidence.sha256
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence_store.path_of(evidence.file_path) == path.resolve()
    assert (evidence.size, evidence.original_filename, evidence.title) == (
        1024,
        "passwd",
        "Traffic capture",
    )
    assert evidence.created_by == investigator
    # The uploaded name never becomes part of the path, and only Dossier reads the file.
    assert "passwd" not in str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    event = AuditEvent.objects.get()
    assert event.verb == "evidence.added"
    assert event.after["sha256"] == evidence.sha256
    case.refresh_from_db()
    assert case.evidence_count == 1


def test_a_refused_uploader_stores_nothing(evidence_root, person, make_case):
    with pytest.raises(workflow.OperationRefused):
        workflow.add_evidence_file(
            make_case("investigating"), SimpleUploadedFile("a.txt", b"a"), actor=person("manager")
        )
    assert stored_files() == []


def test_text_evidence_carries_the_hash_of_its_text(person, make_case):
    evidence = workflow.add_evidence_text(
        make_case(), title="Prompt", content="Explain step by step…", actor=person("lead")
    )
    assert evidence.sha256 == hashlib.sha256("Explain step by step…".encode()).hexdigest()


def test_redaction_removes_the_content_and_keeps_the_hash_of_what_was_removed(
    evidence_root, person, make_case, django_capture_on_commit_callbacks
):
    case = make_case("investigating")
    evidence = workflow.add_evidence_file(
        case, SimpleUploadedFile("pii.txt", b"name: A. Person"), actor=person("investigator")
    )
    original = evidence.sha256
    lead = person("lead")

    with django_capture_on_commit_callbacks(execute=True):
        workflow.redact_evidence(evidence, actor=lead, reason="personal data of a bystander")

    evidence.refresh_from_db()
    assert stored_files() == []
    assert (evidence.file_path, evidence.content) == ("", "")
    assert evidence.removed_sha256 == original
    assert (evidence.redacted_by, evidence.redaction_reason) == (
        lead,
        "personal data of a bystander",
    )
    event = AuditEvent.objects.order_by("sequence").last()
    assert (event.verb, event.after["removed_sha256"]) == ("evidence.redacted", original)


def test_a_redaction_keeps_the_file_until_it_commits(
    evidence_root, person, make_case, django_capture_on_commit_callbacks
):
    evidence = workflow.add_evidence_file(
        make_case(), SimpleUploadedFile("a.txt", b"abc"), actor=person("lead")
    )
    with django_capture_on_commit_callbacks(execute=False):
        workflow.redact_evidence(evidence, actor=person("lead"), reason="mistaken upload")
        assert len(stored_files()) == 1


def test_evidence_paths_cannot_leave_the_evidence_root(evidence_root):
    with pytest.raises(ValueError, match="outside the evidence root"):
        evidence_store.path_of("../settings.py")
