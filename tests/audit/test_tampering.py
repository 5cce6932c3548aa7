"""Twenty ways to tamper with the audit trail, each caught and named by ``audit verify``.

The attacker has the table owner's rights on the database (a superuser here):
``session_replication_role = replica`` switches the append-only triggers off,
as it would for them. They do not have ``AUDIT_SIGNING_KEY``, and cannot
rewrite the outside anchor file's past lines (append-only storage;
docs/audit-trail.md). Each test's transaction rolls its tampering back.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import HASHED_FIELDS, compute_hash
from audit.checkpoints import anchor, hmac_signature, make_checkpoint
from audit.events import record
from audit.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.django_db

EVENTS = 12


def note(n: int, user=None) -> AuditEvent:
    with transaction.atomic():
        return record("case.noted", actor=user, cases=[n], after={"n": n}, reason=f"note {n}")


@pytest.fixture
def chain(make_user):
    """Twelve events, anchored outside (and so checkpointed) at event 12."""
    user = make_user(username="ivy")
    events = [note(n, user) for n in range(1, EVENTS + 1)]
    anchor()
    return events


def as_attacker(*statements: str | tuple[str, list]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET session_replication_role = replica")
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, [])
            cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = origin")


def rehash_from(sequence: int) -> None:
    """What the owner can do without the key: recompute every hash from ``sequence``
    on (a seal cannot be recomputed; it is left as it was)."""
    plain = [c for c in HASHED_FIELDS if c != "prev_hash"]
    columns = ", ".join(f"{c}::text" if c in ("before", "after") else c for c in plain)
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM audit_auditevent WHERE sequence = %s", [sequence - 1])
        found = cursor.fetchone()
        cursor.execute(
            f"SELECT {columns} FROM audit_auditevent WHERE sequence >= %s ORDER BY sequence",
            [sequence],
        )
        rows = cursor.fetchall()
    prev = found[0] if found else "0" * 64
    for row in rows:
        fields = dict(zip(plain, row, strict=True))
        new_hash = compute_hash(**fields, prev_hash=prev)
        as_attacker(
            (
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE sequence = %s",
                [prev, new_hash, fields["sequence"]],
            )
        )
        prev = new_hash


def verify(*args: str) -> str:
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify", *args)
    return str(raised.value)


def test_an_intact_anchored_chain_verifies(chain, capsys):
    call_command("audit", "verify", chunk_size=5)
    out = capsys.readouterr().out
    assert "ok: 12 events verified, every seal valid" in out
    assert f"head: sequence 12 hash {chain[-1].hash}" in out
    assert "ok: 1 signed checkpoints match" in out
    assert "ok: 1 outside anchors" in out and "up to event 12" in out


# 1-4: a field changed.


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "nothing to see"),
        ("actor_username", "someone-else"),
        ("after", '{"n": 50}'),
        ("occurred_at", None),  # one microsecond later
    ],
)
def test_1_to_4_a_changed_field_is_named_at_its_event(chain, column, value):
    if column == "occurred_at":
        value = chain[4].occurred_at + timedelta(microseconds=1)
    as_attacker((f"UPDATE audit_auditevent SET {column} = %s WHERE sequence = 5", [value]))
    assert "at event 5: event 5 was changed (its hash does not match)" in verify()


# 5-8: rows removed or reordered.


def test_5_a_deleted_middle_event_is_named(chain):
    as_attacker("DELETE FROM audit_auditevent WHERE sequence = 5")
    assert "at event 5: event 5 missing (removed): event 6 follows event 4" in verify()


def test_6_a_deleted_first_event_is_named(chain):
    as_attacker("DELETE FROM audit_auditevent WHERE sequence = 1")
    assert "at event 1: event 1 missing (removed)" in verify()


def test_7_swapped_sequence_numbers_are_named(chain):
    as_attacker(
        "UPDATE audit_auditevent SET sequence = -1 WHERE sequence = 4",
        "UPDATE audit_auditevent SET sequence = 4 WHERE sequence = 5",
        "UPDATE audit_auditevent SET sequence = 5 WHERE sequence = -1",
    )
    assert "at event 4: event 4 does not link to event 3" in verify()


def test_8_two_whole_rows_swapped_are_named(chain):
    columns = [c for c in (*HASHED_FIELDS, "hash", "seal") if c != "sequence"]
    assignments = ", ".join(f"{c} = o.{c}" for c in columns)
    as_attacker(
        f"UPDATE audit_auditevent e SET {assignments} FROM audit_auditevent o "
        "WHERE (e.sequence, o.sequence) IN ((4, 6), (6, 4))"
    )
    assert "at event 4:" in verify()


# 9-13: the tampering that plain SHA-256 and the database alone let through.


def test_9_the_last_events_deleted_are_named(chain):
    as_attacker("DELETE FROM audit_auditevent WHERE sequence > 2")
    assert "event 12 missing: a signed checkpoint vouches for it" in verify()


def test_9_the_last_events_deleted_with_their_checkpoint_are_named_by_the_anchor(chain):
    as_attacker(
        "DELETE FROM audit_auditevent WHERE sequence > 2", "DELETE FROM audit_auditcheckpoint"
    )
    message = verify()
    assert "the chain ends at event 2, but the outside anchor of" in message
    assert "vouches for event 12: event 3 to 12 removed" in message


def test_10_a_truncated_trail_is_named(chain):
    as_attacker("TRUNCATE audit_auditevent")
    assert "event 12 missing: a signed checkpoint vouches for it" in verify()


def test_11_a_change_with_every_later_hash_recomputed_is_named(chain):
    as_attacker("UPDATE audit_auditevent SET reason = 'nothing happened' WHERE sequence = 5")
    rehash_from(5)
    assert "at event 5: event 5 has a seal that does not verify with the signing key" in verify()


def test_12_a_deletion_renumbered_and_rehashed_is_named(chain):
    as_attacker(
        "DELETE FROM audit_auditevent WHERE sequence = 5",
        "UPDATE audit_auditevent SET sequence = 1 - sequence WHERE sequence > 5",
        "UPDATE audit_auditevent SET sequence = -sequence WHERE sequence < 0",
    )
    rehash_from(5)
    assert "at event 5: event 5 has a seal that does not verify" in verify()


def forged_event(sequence: int, prev_hash: str, **extra) -> tuple[str, list]:
    fields = {
        "sequence": sequence,
        "occurred_at": timezone.now(),
        "actor_id": None,
        "actor_username": "",
        "detector_id": "",
        "detector_name": "",
        "system": "sweeper",
        "verb": "action.reverted",
        "target_type": "",
        "target_id": "",
        "target_repr": "",
        "case_ids": [],
        "before": None,
        "after": None,
        "reason": "customer appeal",
        "remote_addr": "",
        "request_id": "",
        "prev_hash": prev_hash,
    }
    fields.update(extra)
    columns = [*fields, "hash", "seal"]
    values = [*fields.values(), compute_hash(**fields), ""]
    placeholders = ", ".join(["%s"] * len(columns))
    return (f"INSERT INTO audit_auditevent ({', '.join(columns)}) VALUES ({placeholders})", values)


def test_13_a_forged_event_appended_with_a_correct_hash_is_named(chain):
    as_attacker(forged_event(13, chain[-1].hash))
    assert "at event 13: event 13 has no seal, though every event from 1 on is sealed" in verify()


def test_13_stripping_every_seal_first_does_not_help(chain):
    as_attacker("UPDATE audit_auditevent SET seal = ''", forged_event(13, chain[-1].hash))
    # The outside anchors say from which event on every event is sealed.
    assert "at event 1: event 1 has no seal, though every event from 1 on is sealed" in verify()


# 14-16: against a checkpoint in the database.


def test_14_a_rewrite_and_rehash_before_the_checkpoint_is_named(chain):
    as_attacker("UPDATE audit_auditevent SET reason = 'x' WHERE sequence = 3")
    rehash_from(3)
    assert "at event 3: event 3 has a seal that does not verify" in verify()


def test_15_a_cut_reaching_into_the_checkpoint_is_named(chain):
    as_attacker("DELETE FROM audit_auditevent WHERE sequence >= 10")
    assert "at event 12: event 12 missing: a signed checkpoint vouches for it" in verify()


def test_16_a_forged_checkpoint_row_is_named(chain):
    head = chain[-1]
    as_attacker(
        (
            "INSERT INTO audit_auditcheckpoint (sequence, hash, created_at, signature, key_id) "
            "VALUES (%s, %s, now(), %s, %s)",
            [99, head.hash, "A" * 88, AuditCheckpoint.objects.get().key_id],
        )
    )
    assert "the checkpoint at event 99 has an invalid signature" in verify()


# 17-20: after the last checkpoint, and with the checkpoints removed.


@pytest.fixture
def anchored_after_a_checkpoint(chain):
    """A checkpoint at 12; events 13 to 16, older than the anchoring interval, anchored."""
    events = [note(n) for n in range(13, 17)]
    anchor()
    return events


def test_17_events_deleted_only_after_the_checkpoint_are_named(anchored_after_a_checkpoint):
    as_attacker(
        "DELETE FROM audit_auditevent WHERE sequence > 12",
        "DELETE FROM audit_auditcheckpoint WHERE sequence > 12",
    )
    message = verify()
    assert "the chain ends at event 12, but the outside anchor of" in message
    assert "vouches for event 16: event 13 to 16 removed" in message


def test_18_events_rewritten_only_after_the_checkpoint_are_named(anchored_after_a_checkpoint):
    as_attacker("UPDATE audit_auditevent SET reason = 'x' WHERE sequence = 14")
    rehash_from(14)
    assert "at event 14: event 14 has a seal that does not verify" in verify()


def test_18_without_seals_a_rewrite_after_the_checkpoint_is_named_by_the_anchor(make_user):
    # A trail from before seals existed: only the outside anchor holds the head's hash.
    for n in range(1, 13):
        note(n)
    as_attacker("UPDATE audit_auditevent SET seal = ''")
    make_checkpoint()
    for n in range(13, 17):
        note(n)
    as_attacker("UPDATE audit_auditevent SET seal = '' WHERE sequence > 12")
    anchor()
    as_attacker(
        "UPDATE audit_auditevent SET reason = 'x' WHERE sequence = 14",
        "DELETE FROM audit_auditcheckpoint WHERE sequence > 12",
    )
    rehash_from(14)
    assert "at event 16: event 16 differs from its outside anchor of" in verify()


def test_19_a_rewrite_with_the_checkpoints_deleted_is_named(chain):
    as_attacker("UPDATE audit_auditevent SET reason = 'x' WHERE sequence = 5")
    rehash_from(5)
    as_attacker("DELETE FROM audit_auditcheckpoint")
    assert "at event 5: event 5 has a seal that does not verify" in verify()


def test_19_the_deleted_checkpoints_alone_are_named(chain):
    as_attacker("DELETE FROM audit_auditcheckpoint")
    message = verify()
    assert "the checkpoint at event 12 is missing from the database" in message
    assert "the outside anchor of" in message


def test_20_a_cut_with_the_checkpoints_deleted_is_named(chain):
    as_attacker(
        "DELETE FROM audit_auditevent WHERE sequence > 8", "DELETE FROM audit_auditcheckpoint"
    )
    assert "vouches for event 12: event 9 to 12 removed" in verify()


# What verify expects to find.


def test_a_cut_inside_the_anchoring_window_is_named_by_an_auditors_head(chain):
    # Events 13 and 14 are younger than the last anchor: only a copy held elsewhere
    # (a manifest's last event, an anchor line) can name their loss.
    later = [note(n) for n in (13, 14)]
    as_attacker("DELETE FROM audit_auditevent WHERE sequence > 12")
    message = verify("--expect-head", "14", later[-1].hash)
    assert "the chain ends at event 12, but the expected head is event 14" in message


def test_an_anchor_line_altered_without_the_key_is_named(chain, audit_anchors):
    line = json.loads(audit_anchors.read_text())
    line["sequence"] = 9
    audit_anchors.write_text(json.dumps(line) + "\n")
    assert "line 1 of the anchor file (event 9," in verify()
    assert "has an invalid signature" in verify()


def test_anchoring_that_stopped_fails_verify(chain, settings, monkeypatch, capsys):
    later = timezone.now() + timedelta(seconds=3 * settings.AUDIT_ANCHOR_INTERVAL)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    assert "anchoring has stopped (is beat running?)" in verify()
    settings.DEBUG = True  # a development machine: said, not fatal
    call_command("audit", "verify")
    assert "warning: the newest outside anchor is" in capsys.readouterr().err


def test_a_missing_anchor_file_fails_verify(chain, audit_anchors):
    audit_anchors.unlink()
    assert "no anchor file at" in verify()


def test_an_older_hmac_checkpoint_still_verifies(chain, settings, capsys):
    settings.AUDIT_CHECKPOINT_KEYS = ["the-new-key", "the-old-key"]
    created = timezone.now()
    signature = hmac_signature(6, chain[5].hash, created, "the-old-key")
    as_attacker(
        (
            "INSERT INTO audit_auditcheckpoint (sequence, hash, created_at, signature, key_id) "
            "VALUES (6, %s, %s, %s, '')",
            [chain[5].hash, created, signature],
        )
    )
    call_command("audit", "verify")
    assert "ok: 2 signed checkpoints match" in capsys.readouterr().out
    settings.AUDIT_CHECKPOINT_KEYS = ["another-key"]
    assert "the checkpoint at event 6 has an invalid signature" in verify()


def test_the_head_is_checkpointed_once_and_anchored_on_every_tick(chain, audit_anchors):
    anchor()
    assert make_checkpoint() is None  # signed already
    assert AuditCheckpoint.objects.count() == 1
    lines = [json.loads(line) for line in audit_anchors.read_text().splitlines()]
    assert [line["sequence"] for line in lines] == [12, 12]
    assert lines[0]["created_at"] < lines[1]["created_at"]
