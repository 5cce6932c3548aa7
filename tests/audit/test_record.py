import pytest
from django.db import transaction

from audit.events import TransactionRequired, record, record_many
from audit.models import AuditEvent
from audit.verify import verify_chain
from core.middleware import current_remote_addr, current_request_id

pytestmark = pytest.mark.django_db


def test_events_get_gapless_sequence_numbers_linked_by_hash(make_user):
    user = make_user(username="ivy")
    first = record("case.noted", actor=user, reason="first")
    second = record("case.noted", actor=user, reason="second")
    third = record("case.noted", system="sweeper")

    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert verify_chain().count == 3


def test_it_keeps_who_what_and_why(make_user):
    user = make_user(username="lee")
    event = record(
        "account.linked",
        actor=user,
        target=user,
        cases=[7, 3, 7],
        before={"status": "new"},
        after={"status": "triage", "n": 1.5, "nested": {"b": 1, "a": [1, 2]}},
        reason="same payment fingerprint",
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == user
    assert stored.actor_username == "lee"
    assert stored.target_type == "auth.user"
    assert stored.target_id == str(user.pk)
    assert stored.case_ids == [3, 7]
    assert stored.before == {"status": "new"}
    assert stored.after == {"status": "triage", "n": 1.5, "nested": {"b": 1, "a": [1, 2]}}
    assert stored.reason == "same payment fingerprint"
    assert verify_chain().count == 1


def test_a_detector_is_kept_by_id_and_name():
    class Detector:
        pk = "d-42"
        name = "proxy-sweep"

    event = record("alert.imported", detector=Detector())
    assert (event.detector_id, event.detector_name) == ("d-42", "proxy-sweep")
    assert event.actor_label == "detector proxy-sweep"


def test_each_cases_trail_lists_the_events_that_concern_it():
    record("batch.imported", system="importer", cases=[1, 2, 3])
    record("case.noted", system="importer", cases=[2])
    record("case.noted", system="importer", cases=[4])

    assert AuditEvent.objects.for_case(2).count() == 2
    assert AuditEvent.objects.for_case(4).count() == 1
    assert AuditEvent.objects.for_case(9).count() == 0


def test_it_records_the_request_id_and_remote_address():
    id_token = current_request_id.set("req-123")
    addr_token = current_remote_addr.set("203.0.113.9")
    try:
        event = record("evidence.viewed", system="test")
    finally:
        current_request_id.reset(id_token)
        current_remote_addr.reset(addr_token)
    assert (event.request_id, event.remote_addr) == ("req-123", "203.0.113.9")


def test_values_postgresql_cannot_store_are_replaced_and_still_verify():
    record("alert.imported", system="t\x00x", after={"k\x00": ["v\x00"]}, reason="a\x00b")
    assert AuditEvent.objects.get().after == {"k\ufffd": ["v\ufffd"]}
    assert verify_chain().count == 1


def test_record_many_appends_a_run_of_events_under_one_lock():
    events = record_many(
        [{"verb": "alert.imported", "system": "importer", "after": {"i": i}} for i in range(5)]
    )
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert verify_chain().count == 5


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction():
    with pytest.raises(TransactionRequired):
        record("case.noted", system="test")
    with transaction.atomic():
        record("case.noted", system="test")
    assert AuditEvent.objects.count() == 1
