"""Transactional tests (``transactional_db``, ``live_server``) start from an empty trail.

Between them the test runner truncates every table, which the audit trigger
refuses; tests/conftest.py lets only that flush through. These two tests run
in order: the first commits events, the second must not see them.
"""

import pytest
from django.db import connection, transaction

from audit.events import record
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_transactional_test_commits_audit_events():
    with transaction.atomic():
        record("case.noted", system="test")
        record("case.noted", system="test")
    assert AuditEvent.objects.count() == 2


def test_the_next_transactional_test_starts_with_an_empty_trail_and_the_trigger_on():
    assert AuditEvent.objects.count() == 0
    with transaction.atomic():
        assert record("case.noted", system="test").sequence == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger "
            "WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal ORDER BY tgname"
        )
        assert cursor.fetchall() == [
            ("audit_event_link_cases", "O"),
            ("audit_event_no_truncate", "O"),
            ("audit_event_no_update_delete", "O"),
        ]
