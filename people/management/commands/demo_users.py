"""``manage.py demo_users``: one demo user per role, for development only.

Passwords are generated once and kept in ``.run/demo-users.txt`` (mode 600);
later runs leave existing users alone and print the same credentials. A user
whose password is not in the file (the file was deleted) gets a new one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from people.privileges import change_privileges, record_person_created
from people.roles import Role

COMMAND = "manage.py demo_users"
HEADER = "# Dossier demo users, one per role (development only): role username password\n"


def demo_username(role: Role) -> str:
    return f"demo-{role}"


def read_credentials(path: Path) -> dict[str, str]:
    """username -> password from a demo users file; empty when there is none."""
    if not path.exists():
        return {}
    credentials = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) == 3 and not line.startswith("#"):
            credentials[fields[1]] = fields[2]
    return credentials


class Command(BaseCommand):
    help = "Create once a demo user for every role and print their credentials (DEBUG only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file",
            type=Path,
            default=settings.BASE_DIR / ".run" / "demo-users.txt",
            help="where the generated passwords are kept (default: .run/demo-users.txt)",
        )

    def handle(self, *args, file: Path, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo users are for development only: run with DEBUG=1")
        known = read_credentials(file)
        users = get_user_model().objects
        rows = []
        with transaction.atomic():
            for role in Role:
                username = demo_username(role)
                user, created = users.get_or_create(username=username)
                if created:
                    record_person_created(user, system=COMMAND)
                password = known.get(username)
                if created or password is None:
                    # A recreated database reuses the password already handed out.
                    password = password if created and password else secrets.token_urlsafe(12)
                    user.set_password(password)
                    user.save()
                change_privileges(user.pk, system=COMMAND, roles=[role])
                rows.append((str(role), username, password))
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(HEADER)
            out.writelines(f"{role:<14} {name:<20} {pw}\n" for role, name, pw in rows)
        self.stdout.write(f"Demo users (kept in {file}):")
        for role, name, pw in rows:
            self.stdout.write(f"  {role:<14} {name:<20} {pw}")
