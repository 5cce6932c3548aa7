"""``manage.py audit verify`` and ``manage.py audit grant-runtime ROLE``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.checkpoints import CheckpointKeyMissing, make_checkpoint
from audit.runtime_role import RuntimeRoleError, grant_runtime
from audit.verify import ChainBroken, verify_chain, verify_checkpoints


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain and signed checkpoints, sign a checkpoint, "
        "or grant the runtime database role its rights."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="recompute every hash; exit 1 at the first fault")
        verify.add_argument("--chunk-size", type=int, default=2000)
        sub.add_parser("checkpoint", help="sign the chain's current head")
        grant = sub.add_parser(
            "grant-runtime",
            help="grant ROLE DML on the app's tables but only SELECT/INSERT on the audit table",
        )
        grant.add_argument("role")
        grant.add_argument("--dry-run", action="store_true", help="print the SQL only")

    def handle(self, *args, action: str, **options):
        if action == "verify":
            self._verify(options["chunk_size"])
        elif action == "checkpoint":
            self._checkpoint()
        else:
            self._grant(options["role"], options["dry_run"])

    def _verify(self, chunk_size: int) -> None:
        try:
            head = verify_chain(chunk_size=chunk_size)
            try:
                checkpoints = verify_checkpoints(chunk_size=chunk_size)
            except CheckpointKeyMissing:
                checkpoints = None
        except ChainBroken as exc:
            raise CommandError(f"audit chain broken at event {exc.sequence}: {exc}") from exc
        self.stdout.write(f"ok: {head.count} events verified")
        if head.count:
            self.stdout.write(f"head: sequence {head.sequence} hash {head.hash}")
        if checkpoints is None:
            self.stdout.write("checkpoints not checked: AUDIT_CHECKPOINT_KEYS is not set")
        else:
            self.stdout.write(f"ok: {checkpoints} signed checkpoints match")

    def _checkpoint(self) -> None:
        try:
            checkpoint = make_checkpoint()
        except CheckpointKeyMissing as exc:
            raise CommandError(str(exc)) from exc
        if checkpoint is None:
            self.stdout.write("nothing new to sign")
        else:
            self.stdout.write(f"signed checkpoint at event {checkpoint.sequence}")

    def _grant(self, role: str, dry_run: bool) -> None:
        try:
            with transaction.atomic():
                statements = grant_runtime(role, dry_run=dry_run)
        except RuntimeRoleError as exc:
            raise CommandError(str(exc)) from exc
        for statement in statements:
            self.stdout.write(statement + ";")
        if not dry_run:
            self.stdout.write(f"granted runtime rights to {role}")
