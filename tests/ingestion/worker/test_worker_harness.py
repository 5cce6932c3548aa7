"""The harness itself: a real worker on a private broker writes to the test database."""

import pytest

from dossier.models import WorkerHeartbeat
from tests.ingestion.worker.conftest import wait_for

pytestmark = pytest.mark.integration


def test_a_worker_runs_tasks_published_from_the_test(start_worker):
    from dossier.tasks import heartbeat

    start_worker(name="harness")
    heartbeat.delay()

    seen = wait_for(
        lambda: WorkerHeartbeat.objects.filter(worker__startswith="harness@").first(),
        timeout=30,
        what="the worker to record its heartbeat",
    )
    assert seen.seen_at is not None


def test_a_killed_worker_can_be_restarted(start_worker):
    from dossier.tasks import heartbeat

    worker = start_worker(name="phoenix")
    worker.kill()
    worker.start()
    heartbeat.delay()

    wait_for(
        lambda: WorkerHeartbeat.objects.filter(worker__startswith="phoenix@").exists(),
        timeout=30,
        what="the restarted worker to run a task",
    )
