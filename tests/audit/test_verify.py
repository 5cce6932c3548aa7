"""``manage.py audit verify`` names the first event changed, removed or reordered.

The owner (a superuser here) disables the row trigger to tamper, as an
attacker with the owner's rights could; the test's transaction rolls it all back.
"""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit.events import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(make_user):
    user = make_user(username="ivy")
    events = [
        record("case.noted", actor=user, cases=[n], after={"n": n}, reason=f"note {n}")
        for n in range(1, 9)
    ]
    return events


def owner_sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred check
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete")
        cursor.execute(statement, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete")


def test_an_intact_chain_verifies(chain, capsys):
    call_command("audit", "verify", chunk_size=3)
    out = capsys.readouterr().out
    assert "ok: 8 events verified" in out
    assert f"head: sequence 8 hash {chain[-1].hash}" in out


def test_an_empty_trail_verifies(capsys):
    call_command("audit", "verify")
    assert "ok: 0 events verified" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "nothing to see"),
        ("actor_username", "someone-else"),
        ("case_ids", [99]),
        ("after", '{"n": 50}'),
        ("occurred_at", timezone.now()),
        ("verb", "case.viewed"),
    ],
)
def test_it_reports_an_edited_field_at_that_event(chain, column, value):
    owner_sql(f"UPDATE audit_auditevent SET {column} = %s WHERE sequence = 5", [value])
    with pytest.raises(CommandError, match=r"event 5 was changed"):
        call_command("audit", "verify", chunk_size=3)


def test_it_reports_a_deleted_event(chain):
    owner_sql("DELETE FROM audit_auditevent WHERE sequence = 5")
    with pytest.raises(CommandError, match=r"at event 5: event 5 missing"):
        call_command("audit", "verify", chunk_size=3)


def test_it_reports_a_deleted_first_event(chain):
    owner_sql("DELETE FROM audit_auditevent WHERE sequence = 1")
    with pytest.raises(CommandError, match=r"at event 1: event 1 missing"):
        call_command("audit", "verify")


@pytest.mark.parametrize(("first", "second"), [(4, 5), (4, 6)])
def test_it_reports_two_swapped_events_at_the_first_of_them(chain, first, second):
    # Through a spare number: the sequence is unique at every statement.
    owner_sql("UPDATE audit_auditevent SET sequence = -1 WHERE sequence = %s", [first])
    owner_sql("UPDATE audit_auditevent SET sequence = %s WHERE sequence = %s", [first, second])
    owner_sql("UPDATE audit_auditevent SET sequence = %s WHERE sequence = -1", [second])
    expected = rf"at event {first}: event {first} does not link to event {first - 1}"
    with pytest.raises(CommandError, match=expected):
        call_command("audit", "verify", chunk_size=3)


def test_it_reports_an_event_renumbered_into_place(chain):
    # Removing event 5 and renumbering the rest hides the gap, not the broken link.
    owner_sql("DELETE FROM audit_auditevent WHERE sequence = 5")
    owner_sql("UPDATE audit_auditevent SET sequence = 1 - sequence WHERE sequence > 5")
    owner_sql("UPDATE audit_auditevent SET sequence = -sequence WHERE sequence < 0")
    with pytest.raises(CommandError, match=r"at event 5: event 5 does not link to event 4"):
        call_command("audit", "verify")


def test_the_command_exits_non_zero_on_a_broken_chain(chain):
    owner_sql("UPDATE audit_auditevent SET reason = 'x' WHERE sequence = 2")
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify")
    assert raised.value.returncode == 1
