"""Workers importing at the same moment (threads, each with its own connection)."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from cases.models import Case, Evidence, Indicator
from ingestion.detectors import create_detector
from ingestion.importing import import_batch_now
from ingestion.models import Alert, Batch
from tests.ingestion.correlation_helpers import alert, post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Nothing listens on the broker's port: posts store alerts and skip the publish."""
    from dossier.celery import app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    previous = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    settings.CELERY_BROKER_URL = url
    app.conf.broker_url = url
    app._after_fork()
    yield
    app.conf.broker_url = previous
    app._after_fork()


def run_together(*jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as exc:  # surfaced in the test thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def filler(prefix: str) -> list[dict]:
    """Unrelated alerts that make each import last long enough to overlap the other."""
    return [
        alert(f"{prefix}-{n}", accounts=[{"external_id": f"{prefix}-acct-{n}"}]) for n in range(150)
    ]


def test_two_racing_imports_open_one_case(client, broker_down):
    token = create_detector("racer", rate=0).token
    for round_ in range(3):
        cluster = f"pc-race-{round_}"
        # Known from before (and seen around these alerts), so neither import
        # has to write its row: no row lock orders the two imports.
        Indicator.objects.create(
            type="prompt_cluster",
            value=f"racer/{cluster}",
            first_seen=datetime(2026, 1, 1, tzinfo=UTC),
            last_seen=datetime(2027, 1, 1, tzinfo=UTC),
        )
        shared = [{"type": "prompt_cluster", "value": cluster}]
        # The first alert's own key is its campaign: only the shared prompt
        # cluster ties the two, and nothing but the correlation lock keeps two
        # workers from opening a case each.
        first = post(
            client,
            token,
            [
                alert(f"race-{round_}-a", campaign_hint=f"wave-{round_}", indicators=shared),
                *filler(f"fill-{round_}-a"),
            ],
        )
        second = post(
            client,
            token,
            [alert(f"race-{round_}-b", indicators=shared), *filler(f"fill-{round_}-b")],
        )
        run_together(
            lambda b=first["batch"]: import_batch_now(b),
            lambda b=second["batch"]: import_batch_now(b),
        )
        cases = set(
            Alert.objects.filter(external_id__startswith=f"race-{round_}-").values_list(
                "case_id", flat=True
            )
        )
        assert len(cases) == 1 and None not in cases


def test_one_batch_imported_by_two_workers_at_once_is_imported_once(client, broker_down):
    token = create_detector("twice", rate=0).token
    alerts = [
        alert(
            f"dup-{n}", accounts=[{"external_id": f"acct_d{n}"}], samples=[{"prompt_excerpt": "p"}]
        )
        for n in range(50)
    ]
    answer = post(client, token, alerts)

    outcomes = run_together(
        lambda: import_batch_now(answer["batch"]), lambda: import_batch_now(answer["batch"])
    )

    assert sum(outcome is not None for outcome in outcomes) == 1
    assert Batch.objects.get(pk=answer["batch"]).status == "imported"
    assert Case.objects.count() == 50
    assert Evidence.objects.filter(kind="alert").count() == 50
    assert Evidence.objects.filter(kind="sample").count() == 50
