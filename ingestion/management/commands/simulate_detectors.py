"""``manage.py simulate_detectors``: post detector traffic through the alerts API.

Everything goes over HTTP exactly as a detector's would (``ingestion.simulator``
builds the alerts, the same generators as the benchmark's; bench/README.md
describes them). ``--workload campaign`` (the default): operator networks of
very different sizes, honest heavy users and a reseller's customers behind the
same proxies, over weeks, in no particular order, about 10% resends; posting
into its own database, it first has a lead put the reseller's payment processor
on the known-shared list, as leads would have.
``--workload demo``: three small operators and one heavy user, with a retried
batch whose alerts are all duplicates and a batch repeating an alert inside
itself. ``--workload uniform``: the benchmark's independent random alerts. The
same ``--seed`` gives the same external ids, so running the command again only
adds duplicates.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cases.workflow import add_known_shared
from core.refusals import Conflict
from ingestion.detectors import create_detector, rotate_token
from ingestion.models import Detector
from ingestion.simulator import WORKLOADS, batches, scenario, workload

DETECTOR_NAME = "simulator"


class Command(BaseCommand):
    help = "Post realistic detector traffic to the alerts API (demo and test data)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.SITE_URL, help="Dossier's base URL")
        parser.add_argument(
            "--token",
            help=f"a detector token; by default the {DETECTOR_NAME!r} detector is created "
            "(or given a new token) in this database",
        )
        parser.add_argument(
            "--workload", choices=("demo", *WORKLOADS), default="campaign", help="what to post"
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--operators", type=int, default=3, help="demo: operators")
        parser.add_argument(
            "--alerts", type=int, default=4000, help="campaign and uniform: alerts to post"
        )
        parser.add_argument(
            "--largest",
            type=int,
            default=2000,
            help="campaign: accounts of the largest operator (the benchmark's is 25000)",
        )
        parser.add_argument(
            "--batch-size", type=int, help="alerts per request (default: 5 for demo, else 200)"
        )
        parser.add_argument(
            "--lead",
            help="campaign, without --token: the lead who puts the reseller's payment "
            "processor on the known-shared list (default: the first active lead)",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=60.0,
            help="seconds to wait for the server, and then for the imports (0: do not wait)",
        )

    def handle(self, *args, **options):
        base = options["url"].rstrip("/")
        token = options["token"] or self._token()
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        plan, described, known_shared = self._plan(options, now)
        if known_shared and not options["token"]:
            # Only into this database, as the detector is: a lead's decision, made
            # before the traffic arrives, as leads would have listed the reseller.
            self._list_known_shared(known_shared, options["lead"])

        client = _Client(base, token, wait=options["wait"])
        batch_ids = []
        accepted = duplicates = 0
        for body in plan:
            answer = client.post_alerts(body)
            accepted += answer["accepted"]
            duplicates += answer["duplicates"]
            batch_ids.append(answer["batch"])
            self.stdout.write(
                f"batch {answer['batch']}: {answer['accepted']} accepted, "
                f"{answer['duplicates']} duplicates"
            )
        self.stdout.write(
            f"Posted {sum(map(len, plan))} alerts in {len(plan)} requests "
            f"({described}): {accepted} accepted, {duplicates} duplicates."
        )
        if options["wait"] > 0:
            statuses = client.wait_for_imports(batch_ids, options["wait"])
            summary = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
            self.stdout.write(f"Batches: {summary}.")

    def _plan(self, options: dict, now: datetime) -> tuple[list[list[dict]], str, list[dict]]:
        """The requests to make, in order, what their alerts are about, and the
        strong values honest customers share among them."""
        seed = options["seed"]
        if options["workload"] == "demo":
            world = scenario(seed=seed, operators=options["operators"], now=now)
            groups = batches(world.alerts, max(1, options["batch_size"] or 5))
            # A detector that timed out resends its whole batch, and one that
            # repeats itself within a request: both must change nothing.
            retried = groups[0]
            repeated = [*groups[-1], groups[-1][0]]
            plan = [*groups[:-1], repeated, retried]
            return plan, f"{len(world.operators)} operators and one benign heavy user", []
        weeks = 6
        traffic = workload(
            options["workload"],
            options["alerts"],
            seed=seed,
            prefix=f"sim-{seed}-",
            largest=options["largest"],
            start=now - timedelta(weeks=weeks),
            weeks=weeks,
        )
        plan = batches(traffic.alerts, max(1, options["batch_size"] or 200))
        if not traffic.operator_of:
            return plan, f"{options['workload']} workload", []
        sizes = ", ".join(f"{name} {size:,}" for name, size in traffic.operator_sizes.items())
        return (
            plan,
            f"operators of {sizes} accounts, {len(traffic.honest_of):,} honest accounts "
            "behind the same proxies",
            traffic.known_shared,
        )

    def _list_known_shared(self, entries: list[dict], username: str | None) -> None:
        leads = get_user_model().objects.filter(is_active=True, groups__name="lead")
        lead = leads.filter(username=username).first() if username else leads.order_by("pk").first()
        if lead is None:
            self.stdout.write(
                "No active lead to keep the known-shared list: the reseller's payment "
                "processor is not listed, and will join its customers' alerts."
            )
            return
        for entry in entries:
            try:
                add_known_shared(entry["type"], entry["value"], actor=lead, reason=entry["reason"])
            except Conflict:
                continue  # listed by an earlier run
            self.stdout.write(
                f"{lead.username} put the {entry['type']} {entry['value']} on the "
                f"known-shared list: {entry['reason']}."
            )

    def _token(self) -> str:
        if Detector.objects.filter(name=DETECTOR_NAME).exists():
            # Tokens are stored hashed: issue a fresh one, the old ones expire soon.
            return rotate_token(DETECTOR_NAME, grace_hours=1).token
        return create_detector(
            DETECTOR_NAME, description="Simulated detectors (demo data)", rate=0
        ).token


class _Client:
    def __init__(self, base: str, token: str, *, wait: float) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.wait = wait

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (the operator's own Dossier URL)
            self.base + path, data=data, headers=self.headers, method=method
        )
        deadline = time.monotonic() + self.wait
        while True:
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    return json.loads(response.read())
            except urllib.error.HTTPError as exc:
                if exc.code == 429 and time.monotonic() < deadline:
                    time.sleep(float(exc.headers.get("Retry-After") or 1))
                    continue
                raise CommandError(
                    f"{method} {path} answered {exc.code}: {exc.read()[:500].decode(errors='replace')}"
                ) from exc
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                # The server may still be starting; a detector would retry too.
                if time.monotonic() >= deadline:
                    raise CommandError(f"cannot reach {self.base}: {exc}") from exc
                time.sleep(1)

    def post_alerts(self, alerts: list[dict]) -> dict:
        return self._call("POST", "/api/v1/alerts/", {"alerts": alerts})

    def wait_for_imports(self, batch_ids: list[str], seconds: float) -> dict[str, int]:
        deadline = time.monotonic() + seconds
        while True:
            statuses: dict[str, int] = {}
            for batch_id in dict.fromkeys(batch_ids):
                status = self._call("GET", f"/api/v1/alerts/batches/{batch_id}/")["status"]
                statuses[status] = statuses.get(status, 0) + 1
            if not {"pending", "importing"} & set(statuses) or time.monotonic() >= deadline:
                return statuses
            time.sleep(1)
