"""``manage.py detectors create|list|rotate|revoke`` (docs/alerts-api.md, "Detector tokens")."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ingestion.detectors import DetectorError, create_detector, revoke_detector, rotate_token
from ingestion.models import Detector, DetectorToken


class Command(BaseCommand):
    help = "Create, list, rotate or revoke detector tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a detector and print its token once")
        create.add_argument("name")
        create.add_argument("--description", default="")
        create.add_argument(
            "--rate", type=int, default=None, help="requests per minute; 0 means unlimited"
        )
        sub.add_parser("list", help="list detectors and their tokens")
        rotate = sub.add_parser("rotate", help="print a new token; old ones work for --grace hours")
        rotate.add_argument("name")
        rotate.add_argument("--grace", type=float, default=24.0, help="hours (default 24)")
        revoke = sub.add_parser("revoke", help="revoke every token of a detector")
        revoke.add_argument("name")

    def handle(self, *args, action: str, **options):
        try:
            if action == "create":
                issued = create_detector(
                    options["name"], description=options["description"], rate=options["rate"]
                )
                self._print_token(issued.detector.name, issued.token)
            elif action == "rotate":
                issued = rotate_token(options["name"], grace_hours=options["grace"])
                self._print_token(issued.detector.name, issued.token)
            elif action == "revoke":
                detector = revoke_detector(options["name"])
                self.stdout.write(f"Revoked every token of {detector.name}.")
            else:
                self._list()
        except DetectorError as exc:
            raise CommandError(str(exc)) from exc

    def _print_token(self, name: str, token: str) -> None:
        self.stderr.write(f"Token for {name} (shown once; store it now):")
        self.stdout.write(token)

    def _list(self) -> None:
        now = timezone.now()
        usable = {
            (t.detector_id, t.pk): t
            for t in DetectorToken.objects.usable(now).order_by("created_at")
        }
        self.stdout.write(f"{'name':<30} {'rate/min':>8}  {'last seen':<20} tokens")
        for detector in Detector.objects.order_by("name"):
            tokens = [t for (d, _), t in usable.items() if d == detector.pk]
            described = ", ".join(
                t.prefix
                + "…"
                + (f" (expires {t.expires_at:%Y-%m-%d %H:%M})" if t.expires_at else "")
                for t in tokens
            )
            rate = "unlimited" if detector.rate_per_minute == 0 else str(detector.rate_per_minute)
            seen = f"{detector.last_seen_at:%Y-%m-%d %H:%M}" if detector.last_seen_at else "never"
            self.stdout.write(
                f"{detector.name:<30} {rate:>8}  {seen:<20} {described or 'none (revoked)'}"
            )
