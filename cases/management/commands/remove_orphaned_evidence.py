from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from cases.evidence_cleanup import MIN_AGE, remove_orphaned_files


class Command(BaseCommand):
    help = "Delete evidence files that no evidence row refers to (older than an hour)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List the files; remove nothing."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Remove them even when they are most of the store.",
        )
        parser.add_argument(
            "--min-age-minutes",
            type=int,
            default=int(MIN_AGE.total_seconds() // 60),
            help="Only files older than this (default 60).",
        )

    def handle(self, *args, dry_run: bool, force: bool, min_age_minutes: int, **options) -> None:
        if min_age_minutes < 1:
            raise CommandError("--min-age-minutes must be at least 1.")
        sweep = remove_orphaned_files(
            min_age=timedelta(minutes=min_age_minutes), dry_run=dry_run, force=force
        )
        for relative in sweep.orphans:
            self.stdout.write(relative)
        if sweep.refused:
            raise CommandError(f"{sweep.refused} Use --force if it is.")
        verb = "would remove" if dry_run else "removed"
        count = len(sweep.orphans) if dry_run else sweep.removed
        self.stdout.write(f"{sweep.scanned} evidence files, {verb} {count} without a row.")
