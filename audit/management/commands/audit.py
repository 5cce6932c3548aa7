"""``manage.py audit verify`` (the database's chain, or with ``--file`` an export,
offline) and ``manage.py audit grant-runtime ROLE``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.checkpoints import CheckpointKeyMissing, make_checkpoint
from audit.exportfile import ExportBroken, check_file, summary
from audit.runtime_role import RuntimeRoleError, grant_runtime
from audit.verify import ChainBroken, verify_chain, verify_checkpoints


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain and signed checkpoints, sign a checkpoint, "
        "or grant the runtime database role its rights."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help="recompute every hash; exit 1 at the first fault. With --file, check an "
            "export instead, without the database (docs/audit-exports.md)",
        )
        verify.add_argument("--chunk-size", type=int, default=2000)
        verify.add_argument("--file", help="an audit export (CSV or JSONL) to check offline")
        verify.add_argument("--manifest", help="the export's manifest, when saved apart")
        verify.add_argument(
            "--public-key",
            help="the signer's public key (base64 or PEM) or a file holding it; with --file",
        )
        sub.add_parser("checkpoint", help="sign the chain's current head")
        grant = sub.add_parser(
            "grant-runtime",
            help="grant ROLE DML on the app's tables but only SELECT/INSERT on the audit table",
        )
        grant.add_argument("role")
        grant.add_argument("--dry-run", action="store_true", help="print the SQL only")

    def handle(self, *args, action: str, **options):
        if action == "verify" and options["file"]:
            self._verify_export(options["file"], options["public_key"], options["manifest"])
        elif action == "verify":
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

    def _verify_export(self, export: str, public_key: str | None, manifest: str | None) -> None:
        # The key only from the command line: one in the export proves nothing.
        if not public_key:
            raise CommandError("--public-key is required with --file")
        try:
            result = check_file(export, public_key, manifest)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except ExportBroken as exc:
            raise CommandError(f"audit export broken: {exc}") from exc
        for line in summary(result):
            self.stdout.write(line)

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
