"""Writers in several threads at once leave one valid, gapless chain."""

import threading
import time

import pytest
from django.db import connection, transaction

from audit.events import record
from audit.models import AuditEvent
from audit.verify import verify_chain

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
EVENTS_PER_THREAD = 25


def test_concurrent_writers_leave_one_valid_chain():
    start = threading.Barrier(THREADS)
    errors = []

    def writer(n):
        try:
            start.wait()
            for i in range(EVENTS_PER_THREAD):
                with transaction.atomic():
                    record("case.noted", system=f"writer-{n}", cases=[n], after={"i": i})
        except Exception as exc:  # reported below, with the thread that raised it
            errors.append((n, exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    assert errors == []
    total = THREADS * EVENTS_PER_THREAD
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, total + 1))
    assert verify_chain(chunk_size=64).count == total
    for n in range(THREADS):
        assert AuditEvent.objects.for_case(n).count() == EVENTS_PER_THREAD
    print(f"{total} events from {THREADS} threads in {elapsed:.2f}s ({total / elapsed:.0f}/s)")
