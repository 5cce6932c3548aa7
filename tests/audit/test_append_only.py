"""The audit table refuses UPDATE, DELETE and TRUNCATE in PostgreSQL itself."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.events import record
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return record("case.noted", system="test", reason="original")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'rewritten'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
    ],
)
def test_raw_sql_cannot_change_or_remove_events(event, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Fire the deferred foreign-key checks of the insert first, else
        # PostgreSQL refuses TRUNCATE for pending trigger events instead.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)
    assert AuditEvent.objects.get().reason == "original"


def test_the_orm_cannot_delete_or_save_over_an_event(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.get().reason == "original"


def test_a_user_named_in_the_trail_cannot_be_deleted(make_user):
    from django.db.models import ProtectedError

    user = make_user()
    record("auth.login", actor=user)
    with pytest.raises(ProtectedError):
        user.delete()
