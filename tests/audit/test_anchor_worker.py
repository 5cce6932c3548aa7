"""Beat anchors the chain's head outside the database within seconds of a commit,
and ``audit verify`` then holds the chain to it."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import transaction

from audit.events import record
from tests.ingestion.worker.conftest import (  # noqa: F401 - shared fixtures
    redis_broker,
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.integration


def anchored(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_beat_anchors_each_new_head_within_seconds(start_worker, audit_anchors, capsys):  # noqa: F811
    start_worker(beat=True, AUDIT_ANCHOR_INTERVAL="1")
    with transaction.atomic():
        first = record("case.noted", system="test", reason="first")
    wait_for(
        lambda: any(line["hash"] == first.hash for line in anchored(audit_anchors)),
        timeout=20,
        what="beat to anchor the first event",
    )
    with transaction.atomic():
        second = record("case.noted", system="test", reason="second")
    wait_for(
        lambda: any(line["sequence"] == second.sequence for line in anchored(audit_anchors)),
        timeout=20,
        what="beat to anchor the new head",
    )
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "ok: 2 events verified, every seal valid" in out
    assert "up to event 2" in out
