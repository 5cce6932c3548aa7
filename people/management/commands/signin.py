"""``manage.py signin locked|unlock``: see and lift sign-in lockouts (people/lockout.py)."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Sum
from django.utils import timezone

from people.lockout import lockout_ends, unlock


class Command(BaseCommand):
    help = "List sign-in lockouts, or lift one (audited)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("locked", help="list usernames and addresses locked out now")
        lift = sub.add_parser("unlock", help="forget a username's failed sign-ins")
        lift.add_argument("username")
        lift.add_argument("--address", help="only those from this source address")

    def handle(self, *args, action: str, **options):
        if action == "unlock":
            done = unlock(options["username"], address=options["address"], system="manage.py")
            where = f" from {done.address}" if done.address else ""
            self.stdout.write(
                f"Unlocked {done.username}{where}: {done.attempts} attempt record(s) removed."
            )
            return
        now = timezone.now()
        pairs = (
            AccessAttempt.objects.values("username", "ip_address")
            .annotate(failures=Sum("failures_since_start"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
            .order_by("username", "ip_address")
        )
        for pair in pairs:
            ends = lockout_ends(pair["username"], pair["ip_address"])
            if ends > now:
                self.stdout.write(
                    f"{pair['username']}\t{pair['ip_address']}\t{pair['failures']} failures"
                    f"\tuntil {ends:%Y-%m-%d %H:%M} UTC"
                )
