"""The chain's head is anchored: an Ed25519-signed checkpoint row when it moved,
and a signed line outside the database on every tick (docs/audit-trail.md)."""

import base64
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.checkpoints import anchor
from audit.events import record
from audit.exportfile import key_id, load_public_key
from audit.models import AuditCheckpoint
from audit.signing import checkpoint_message
from audit.tasks import anchor as anchor_task

pytestmark = pytest.mark.django_db


def note():
    with transaction.atomic():
        return record("case.noted", system="test")


def test_checkpoints_are_append_only():
    note()
    anchor()
    for statement in (
        "UPDATE audit_auditcheckpoint SET hash = 'x'",
        "DELETE FROM audit_auditcheckpoint",
        "TRUNCATE audit_auditcheckpoint",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(statement)
    assert AuditCheckpoint.objects.count() == 1


def test_an_anchor_line_checks_with_the_public_key_alone(api, audit_anchors):
    event = note()
    anchor()
    line = json.loads(audit_anchors.read_text())
    assert (line["sequence"], line["hash"], line["sealed_from"]) == (1, event.hash, 1)
    published = api.get("/api/v1/audit/public-key").json()
    assert line["key_id"] == published["key_id"]
    key = load_public_key(published["public_key"])
    key.verify(base64.b64decode(line["signature"]), checkpoint_message(line))
    assert key_id(key.public_bytes_raw()) == line["key_id"]


def test_the_command_anchors_the_head(capsys, audit_anchors):
    call_command("audit", "checkpoint")
    note()
    call_command("audit", "checkpoint")
    out = capsys.readouterr().out
    assert "nothing to sign: the trail is empty" in out
    assert f"anchored event 1 in {audit_anchors}" in out


def test_the_scheduled_task_anchors_the_head(audit_anchors):
    note()
    anchor_task()
    assert AuditCheckpoint.objects.get().sequence == 1
    assert len(audit_anchors.read_text().splitlines()) == 1
