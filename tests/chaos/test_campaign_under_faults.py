"""Campaign traffic and a 1,200-target action through every fault at once.

Everything runs on servers of the test's own (a PostgreSQL cluster, a Redis,
a gunicorn, two Celery workers, the platform's enforcement service), since
the test stops them: detectors post campaign-shaped alerts (the simulator's
``campaign`` workload) at a moderate rate, resending what was answered 503,
while a lead-approved action suspends 1,200 accounts on the platform. Meanwhile
the import worker is SIGKILLed and restarted, Redis is restarted, and
PostgreSQL is stopped and started twice (fast, then immediate shutdown).

Afterwards: the alerts stored are exactly those answered 202, every batch
ended, every target is settled and was executed once on the platform's side,
and ``manage.py audit verify`` passes.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import psycopg
import pytest
import requests

from ingestion.simulator import workload
from tests.dossier.conftest import private_postgres  # noqa: F401 (a fixture)
from tests.enforcement.conftest import SECRET, worker_env
from tests.enforcement.platform_server import Platform
from tests.ingestion.worker.conftest import (
    CeleryWorker,
    RedisServer,
    wait_for,
    worker_environment,
)
from tests.private_stack import AS_IN_PRODUCTION, manage, migrated_with_people

pytestmark = [pytest.mark.chaos, pytest.mark.integration]

ALERTS, PER_REQUEST, REQUESTS_PER_SECOND = 6000, 100, 2.0
TARGETS = 1200
FINAL_BATCH = ("imported", "partially_imported", "failed")
SETTLED = ("executed", "failed", "excluded")

# Run by ``manage.py shell`` on the private database: a case of TARGETS
# accounts, a suspension proposed by the investigator and approved by a lead
# (committed: queued for the workers). Prints the action's id.
_ACTION = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from enforcement.workflow import approve_action, propose_action
from tests.enforcement.conftest import make_case_with_accounts
lead = get_user_model().objects.create_user(username="lee", password="pw-for-tests-1")
lead.groups.add(Group.objects.get(name="lead"))
investigator = get_user_model().objects.get(username="ivy")
case, _ = make_case_with_accounts({TARGETS}, prefix="chaos")
action = propose_action(case.pk, actor=investigator, kind="suspend_accounts")
approve_action(action.pk, actor=lead)
print(action.pk)
"""


def query(database_url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(database_url, connect_timeout=2) as conn:
        return conn.execute(sql, params).fetchall()


def when_up(database_url: str, sql: str, params=()):
    """The query's rows, or None while PostgreSQL is down."""
    try:
        return query(database_url, sql, params)
    except psycopg.OperationalError:
        return None


class Detector(threading.Thread):
    """Posts the bodies at a steady rate; a body answered other than 202 (or not
    answered) is posted again, as the alerts contract allows."""

    def __init__(self, base: str, token: str, alerts: list[dict]) -> None:
        super().__init__(daemon=True)
        self.url = f"{base}/api/v1/alerts/"
        self.token = token
        self.bodies = [alerts[i : i + PER_REQUEST] for i in range(0, len(alerts), PER_REQUEST)]
        self.accepted_ids: set[str] = set()
        self.accepted = 0
        self.answers: Counter[str] = Counter()

    def run(self) -> None:
        pending = list(self.bodies)
        while pending:
            started = time.monotonic()
            body = pending.pop(0)
            try:
                response = requests.post(
                    self.url,
                    data=json.dumps({"alerts": body}),
                    headers={
                        "Authorization": f"Bearer {self.token}",
                        "Content-Type": "application/json",
                    },
                    timeout=30,
                )
                status = str(response.status_code)
            except requests.RequestException as exc:
                status = type(exc).__name__
            self.answers[status] += 1
            if status == "202":
                self.accepted += response.json()["accepted"]
                self.accepted_ids.update(alert["external_id"] for alert in body)
            else:
                pending.append(body)
            time.sleep(max(0.0, 1 / REQUESTS_PER_SECOND - (time.monotonic() - started)))


def test_campaign_traffic_and_an_action_survive_every_fault(
    private_postgres,  # noqa: F811
    gunicorn_server,
    tmp_path,
    report_figure,
):
    database_url = private_postgres.url_given
    redis = RedisServer(tmp_path)
    redis.start()
    platform = Platform([SECRET]).start()
    platform.delay = 0.1  # so the action is still executing when the faults come
    workers: list[CeleryWorker] = []
    faults: list[str] = []
    try:
        people = migrated_with_people(database_url)
        services = {"DATABASE_URL": database_url, "REDIS_URL": redis.url}
        base = gunicorn_server(
            **AS_IN_PRODUCTION,
            **services,
            CELERY_BROKER_URL=redis.url,
            GUNICORN_CMD_ARGS="--threads 4",
        )
        env = worker_environment(
            "unused", redis.url, DATABASE_URL=database_url, **worker_env(platform)
        )
        enforcer = CeleryWorker("enforcer", env, tmp_path, beat=True).start()
        importer = CeleryWorker("importer", env, tmp_path, beat=False).start()
        workers += [enforcer, importer]

        alerts = workload("campaign", ALERTS, seed=11, duplicate_share=0.05, largest=1500).alerts
        detector = Detector(base, people["detector"], alerts)
        detector.start()
        action_id = int(
            manage(database_url, "shell", "-c", _ACTION, CELERY_BROKER_URL=redis.url, **services)
            .strip()
            .splitlines()[-1]
        )
        started = time.monotonic()

        def fault(name: str, stop, start, down: float) -> None:
            time.sleep(4)
            began = time.monotonic()
            stop()
            time.sleep(down)
            start()
            faults.append(
                f"{name} at {began - started:.0f}s for {time.monotonic() - began:.1f}s "
                f"(platform executions so far {len(platform.executions)})"
            )

        fault("import worker SIGKILLed and restarted", importer.kill, importer.start, 1)
        fault("Redis restarted", redis.stop, redis.start, 2)
        fault(
            "PostgreSQL stopped (fast) and started",
            lambda: private_postgres.stop("fast"),
            private_postgres.start,
            3,
        )
        fault(
            "PostgreSQL stopped (immediate) and started",
            lambda: private_postgres.stop("immediate"),
            private_postgres.start,
            3,
        )

        detector.join(timeout=240)
        assert not detector.is_alive(), "the detector could not post everything"
        wait_for(
            lambda: (
                when_up(
                    database_url,
                    "SELECT count(*) FILTER (WHERE status <> ALL(%s)) = 0 FROM ingestion_batch",
                    [list(FINAL_BATCH)],
                )
                == [(True,)]
            ),
            timeout=240,
            interval=0.5,
            what="every batch to end",
        )
        wait_for(
            lambda: (
                when_up(
                    database_url,
                    "SELECT count(*) FILTER (WHERE state <> ALL(%s)) = 0 "
                    "FROM cases_actiontarget WHERE action_id = %s",
                    [list(SETTLED), action_id],
                )
                == [(True,)]
            ),
            timeout=240,
            interval=0.5,
            what="every target to be settled",
        )
        elapsed = time.monotonic() - started

        stored = query(database_url, "SELECT count(*) FROM ingestion_alert")[0][0]
        imported = query(
            database_url, "SELECT count(*) FROM ingestion_alert WHERE status = 'imported'"
        )[0][0]
        batches = dict(
            query(database_url, "SELECT status, count(*) FROM ingestion_batch GROUP BY 1")
        )
        targets = dict(
            query(
                database_url,
                "SELECT state, count(*) FROM cases_actiontarget WHERE action_id = %s GROUP BY 1",
                [action_id],
            )
        )
        (action_state,) = query(
            database_url, "SELECT state FROM cases_action WHERE id = %s", [action_id]
        )[0]
        executions = Counter(platform.executions.values())
        verify = manage(database_url, "audit", "verify", **services)

        figures = [
            f"chaos run of {elapsed:.0f}s: answers to the detector {dict(detector.answers)}",
            f"chaos: alerts accepted (202) {detector.accepted} "
            f"(distinct {len(detector.accepted_ids)}), stored {stored}, imported {imported}; "
            f"batches {batches}",
            *(f"chaos fault: {line}" for line in faults),
            f"chaos: action {action_state}, targets {targets}; platform executions per "
            f"target {dict(executions)} over {len(platform.executions)} targets",
            f"chaos: audit verify: {verify.strip().splitlines()[-1]}",
        ]
        print("\n" + "\n".join(figures))
        for line in figures:
            report_figure(line)

        # Only "try again" answers while a service was down: no 500, no 4xx.
        assert set(detector.answers) <= {"202", "503"}, figures
        assert stored == detector.accepted == len(detector.accepted_ids), figures
        assert set(batches) <= set(FINAL_BATCH), figures
        assert imported == stored, figures
        assert sum(targets.values()) == TARGETS and set(targets) <= set(SETTLED), figures
        assert executions == {1: targets.get("executed", 0)}, figures
        assert targets.get("executed") == TARGETS, figures
        assert all(w.process.poll() is None for w in workers), "a worker exited"
    finally:
        for worker in workers:
            worker.stop(timeout=10)
        platform.stop()
        redis.stop()
