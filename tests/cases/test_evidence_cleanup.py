"""Evidence files no row refers to are deleted once an hour old, by beat or by hand."""

import os
import time
import uuid
from io import StringIO

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction

from cases import workflow
from cases.evidence_cleanup import REFUSE_ABOVE, remove_orphaned_files
from cases.evidence_store import path_of
from cases.tasks import remove_orphaned_evidence
from tests.cases.helpers import stored_files

pytestmark = pytest.mark.django_db


def upload(name="traffic.csv"):
    return SimpleUploadedFile(name, b"ts,requests\n1,2\n", content_type="text/csv")


def age(*paths, minutes: float) -> None:
    then = time.time() - minutes * 60
    for path in paths:
        os.utime(path, (then, then))


def stray(root, relative: str) -> object:
    """A file put under the evidence root by something other than an upload."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


@pytest.fixture
def lead(person):
    return person("lead")


def test_a_file_whose_upload_rolled_back_goes_once_an_hour_old(lead, make_case, evidence_root):
    case = make_case("investigating")
    kept = workflow.add_evidence_file(case, upload(), actor=lead)
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.add_evidence_file(case, upload("lost.csv"), actor=lead)
        raise RuntimeError("the caller fails after the upload")
    assert len(stored_files()) == 2

    age(*stored_files(), minutes=61)
    sweep = remove_orphaned_files()

    assert stored_files() == [path_of(kept.file_path)]
    assert (sweep.scanned, sweep.removed) == (2, 1)


def test_a_young_orphan_is_left_for_its_transaction_to_commit(lead, make_case, evidence_root):
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.add_evidence_file(make_case(), upload(), actor=lead)
        raise RuntimeError("rolled back")
    age(*stored_files(), minutes=50)

    assert remove_orphaned_files().removed == 0
    assert len(stored_files()) == 1


def test_only_names_the_store_gives_are_removed(evidence_root):
    partial = stray(evidence_root, f"2026/11/{uuid.uuid4().hex}.part")
    foreign = [
        stray(evidence_root, "README.txt"),
        stray(evidence_root, "2026/11/notes.csv"),
        stray(evidence_root, f"backup/2026/11/{uuid.uuid4().hex}"),
    ]
    age(partial, *foreign, minutes=120)

    remove_orphaned_files()

    assert stored_files() == sorted(foreign)


def test_a_sweep_that_would_empty_the_store_is_refused_unless_forced(
    lead, make_case, evidence_root
):
    workflow.add_evidence_file(make_case(), upload(), actor=lead)
    orphans = [stray(evidence_root, f"2026/10/{uuid.uuid4().hex}") for _ in range(REFUSE_ABOVE + 1)]
    age(*stored_files(), minutes=120)

    sweep = remove_orphaned_files()
    assert sweep.removed == 0 and "Nothing was removed" in sweep.refused
    assert len(stored_files()) == len(orphans) + 1
    with pytest.raises(CommandError, match="--force"):
        call_command("remove_orphaned_evidence", stdout=StringIO())

    out = StringIO()
    call_command("remove_orphaned_evidence", "--force", stdout=out)
    assert len(stored_files()) == 1
    assert f"removed {len(orphans)} without a row" in out.getvalue()


def test_the_command_lists_orphans_on_a_dry_run_and_removes_them_otherwise(evidence_root):
    orphan = stray(evidence_root, f"2026/11/{uuid.uuid4().hex}")
    age(orphan, minutes=90)

    out = StringIO()
    call_command("remove_orphaned_evidence", "--dry-run", stdout=out)
    assert orphan.relative_to(evidence_root).as_posix() in out.getvalue()
    assert "would remove 1" in out.getvalue()
    assert stored_files() == [orphan]

    call_command("remove_orphaned_evidence", stdout=StringIO())
    assert stored_files() == []


def test_beat_runs_the_sweep_every_hour(evidence_root):
    entry = settings.CELERY_BEAT_SCHEDULE["evidence-orphans"]
    assert (entry["task"], entry["schedule"]) == (remove_orphaned_evidence.name, 3600.0)
    age(stray(evidence_root, f"2026/11/{uuid.uuid4().hex}"), minutes=61)

    assert remove_orphaned_evidence.apply().get() == 1
    assert stored_files() == []
