"""The export benchmark's trail builder writes a valid chain of campaign shape,
after whatever the trail already holds, that exports and verifies."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import QueryDict

from audit import exports
from audit.events import record
from audit.exportfile import load_public_key, verify_export
from audit.models import AuditEvent
from audit.verify import verify_chain
from bench.audit_data import build

pytestmark = pytest.mark.django_db


def test_the_built_trail_is_a_valid_chain_after_the_existing_head():
    with transaction.atomic():
        record("case.noted", system="test")
    connection.ensure_connection()
    built = build(connection.connection, 2_000)

    assert (built.first_sequence, built.last_sequence) == (2, 2_001)
    head = verify_chain()
    assert head.sequence == 2_001
    events = AuditEvent.objects.filter(sequence__gte=2)
    times = list(events.order_by("sequence").values_list("occurred_at", flat=True))
    assert times == sorted(times) and len(set(times)) == 2_000
    verbs = set(events.values_list("verb", flat=True))
    assert {"batch.imported", "note.added", "action.proposed", "audit.login"} <= verbs
    widest = max(len(ids) for ids in events.values_list("case_ids", flat=True))
    assert widest >= 50  # some imports name many cases
    assert events.filter(actor__isnull=False).values("actor").distinct().count() > 100


def test_an_export_of_the_built_trail_verifies_with_the_public_key():
    connection.ensure_connection()
    built = build(connection.connection, 2_000)
    manager = get_user_model().objects.get(pk=built.people["manager"][0])

    export = exports.start_export(QueryDict("output=csv"), actor=manager)
    data = b"".join(exports.stream(export, page_size=300))

    raw = exports.public_key()
    key = load_public_key(base64.b64encode(raw).decode())
    assert isinstance(key, Ed25519PublicKey)
    assert verify_export(data, key).rows == 2_000
