"""Signed checkpoints catch a tail rewritten with recomputed hashes, or cut off."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.chain import HASHED_FIELDS, compute_hash
from audit.checkpoints import make_checkpoint
from audit.events import record
from audit.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_chain(settings):
    settings.AUDIT_CHECKPOINT_KEYS = ["checkpoint-key-for-tests"]
    for n in range(1, 7):
        record("case.noted", system="test", cases=[n], reason=f"note {n}")
    return make_checkpoint()


def owner_sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete")
        cursor.execute(statement, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete")


def rehash_from(sequence):
    """What an owner could do: rewrite events and recompute every hash after them."""
    columns = ", ".join(
        f"{c}::text" if c in ("before", "after") else c for c in HASHED_FIELDS if c != "prev_hash"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM audit_auditevent WHERE sequence = %s", [sequence - 1])
        prev = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT {columns} FROM audit_auditevent WHERE sequence >= %s ORDER BY sequence",
            [sequence],
        )
        rows = cursor.fetchall()
    for row in rows:
        fields = dict(zip([c for c in HASHED_FIELDS if c != "prev_hash"], row))
        new_hash = compute_hash(**fields, prev_hash=prev)
        owner_sql(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE sequence = %s",
            [prev, new_hash, fields["sequence"]],
        )
        prev = new_hash


def test_a_checkpoint_signs_the_head_once(signed_chain, capsys):
    assert signed_chain.sequence == 6
    assert signed_chain.hash == AuditEvent.objects.get(sequence=6).hash
    assert make_checkpoint() is None  # nothing new since
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "ok: 6 events verified" in out
    assert "ok: 1 signed checkpoints match" in out


def test_a_rewritten_and_rehashed_tail_passes_the_chain_but_not_the_checkpoint(signed_chain):
    owner_sql("UPDATE audit_auditevent SET reason = 'nothing happened' WHERE sequence = 4")
    rehash_from(4)
    with pytest.raises(
        CommandError, match=r"at event 6: event 6 differs from its signed checkpoint"
    ):
        call_command("audit", "verify")


def test_a_tail_cut_off_is_caught(signed_chain):
    owner_sql("DELETE FROM audit_auditevent WHERE sequence >= 5")
    with pytest.raises(CommandError, match=r"at event 6: event 6 missing: a signed checkpoint"):
        call_command("audit", "verify")


def test_a_checkpoint_signed_with_another_key_is_refused(signed_chain, settings):
    settings.AUDIT_CHECKPOINT_KEYS = ["a-different-key"]
    with pytest.raises(CommandError, match=r"checkpoint at event 6 has an invalid signature"):
        call_command("audit", "verify")


def test_an_older_key_still_verifies_after_rotation(signed_chain, settings, capsys):
    settings.AUDIT_CHECKPOINT_KEYS = ["the-new-key", "checkpoint-key-for-tests"]
    record("case.noted", system="test")
    assert make_checkpoint().sequence == 7
    call_command("audit", "verify")
    assert "ok: 2 signed checkpoints match" in capsys.readouterr().out


def test_without_a_key_verify_says_checkpoints_were_not_checked(settings, capsys):
    settings.AUDIT_CHECKPOINT_KEYS = []
    record("case.noted", system="test")
    call_command("audit", "verify")
    assert "checkpoints not checked" in capsys.readouterr().out
    with pytest.raises(CommandError, match="AUDIT_CHECKPOINT_KEYS"):
        call_command("audit", "checkpoint")


def test_checkpoints_are_append_only(signed_chain):
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


def test_the_command_signs_a_checkpoint(settings, capsys):
    settings.AUDIT_CHECKPOINT_KEYS = ["k"]
    record("case.noted", system="test")
    call_command("audit", "checkpoint")
    call_command("audit", "checkpoint")
    out = capsys.readouterr().out
    assert "signed checkpoint at event 1" in out
    assert "nothing new to sign" in out


def test_the_scheduled_task_signs_only_when_a_key_is_set(settings):
    from audit.tasks import checkpoint

    record("case.noted", system="test")
    settings.AUDIT_CHECKPOINT_KEYS = []
    checkpoint()
    assert not AuditCheckpoint.objects.exists()
    settings.AUDIT_CHECKPOINT_KEYS = ["k"]
    checkpoint()
    assert AuditCheckpoint.objects.get().sequence == 1
