"""``manage.py audit verify`` (the database's chain, or with ``--file`` an export
of the trail or the enforcement ledger, offline) and ``manage.py audit grant-runtime
ROLE [--create]``."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from audit.checkpoints import CheckpointKeyMissing, anchor
from audit.exportfile import ExportBroken, check_file, summary
from audit.models import AuditEvent
from audit.runtime_role import RuntimeRoleError, grant_runtime
from audit.verify import (
    AnchorsMissing,
    ChainBroken,
    read_anchors,
    verify_anchored,
    verify_chain,
    verify_checkpoints,
)

RUNTIME_PASSWORD_VARIABLE = "RUNTIME_DB_PASSWORD"


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
        verify.add_argument(
            "--anchors", help="the outside anchor file (default: AUDIT_ANCHOR_PATH)"
        )
        verify.add_argument(
            "--expect-head",
            nargs=2,
            metavar=("SEQUENCE", "HASH"),
            help="an event and hash from an auditor's own copy (an anchor line, a manifest's "
            "last event): the chain must hold it",
        )
        verify.add_argument(
            "--file", help="an audit export or enforcement ledger (CSV or JSONL) to check offline"
        )
        verify.add_argument("--manifest", help="the export's manifest, when saved apart")
        verify.add_argument(
            "--public-key",
            help="the signer's public key (base64 or PEM) or a file holding it; with --file",
        )
        sub.add_parser(
            "checkpoint",
            help="anchor the chain's current head now (beat does it every few seconds)",
        )
        grant = sub.add_parser(
            "grant-runtime",
            help="grant ROLE DML on the app's tables but only SELECT/INSERT on the audit table",
        )
        grant.add_argument("role")
        grant.add_argument(
            "--create",
            action="store_true",
            help="create ROLE first when it is missing (LOGIN and nothing more), or set the "
            "existing one's password; the password from the environment (--password-env)",
        )
        grant.add_argument(
            "--password-env",
            default=RUNTIME_PASSWORD_VARIABLE,
            metavar="VARIABLE",
            help=f"the environment variable holding ROLE's password (default "
            f"{RUNTIME_PASSWORD_VARIABLE}); with --create",
        )
        grant.add_argument("--dry-run", action="store_true", help="print the SQL only")

    def handle(self, *args, action: str, **options):
        if action == "verify" and options["file"]:
            self._verify_export(options["file"], options["public_key"], options["manifest"])
        elif action == "verify":
            self._verify(options["chunk_size"], options["anchors"], options["expect_head"])
        elif action == "checkpoint":
            self._checkpoint()
        else:
            password = None
            if options["create"]:
                # A review of the SQL needs no password.
                password = "" if options["dry_run"] else self._password(options["password_env"])
            self._grant(options["role"], password, options["dry_run"])

    def _verify(self, chunk_size: int, anchors_path: str | None, expect_head) -> None:
        path = Path(anchors_path or settings.AUDIT_ANCHOR_PATH)
        try:
            try:
                anchors = read_anchors(path)
            except AnchorsMissing as exc:
                anchors, missing = None, exc
            head = verify_chain(
                chunk_size=chunk_size, sealed_from=anchors.sealed_from if anchors else None
            )
            checkpoints = verify_checkpoints(chunk_size=chunk_size)
            if anchors is not None:
                verify_anchored(path, head)
            if expect_head:
                self._expect(head, *expect_head)
        except CheckpointKeyMissing as exc:
            raise CommandError(str(exc)) from exc
        except ChainBroken as exc:
            raise CommandError(f"audit chain broken at event {exc.sequence}: {exc}") from exc
        self.stdout.write(f"ok: {head.count} events verified, every seal valid")
        if head.count:
            self.stdout.write(f"head: sequence {head.sequence} hash {head.hash}")
        self.stdout.write(f"ok: {checkpoints} signed checkpoints match")
        if anchors is None:
            self._problem(f"{missing}: the chain cannot be checked against its outside anchors")
        else:
            self.stdout.write(
                f"ok: {anchors.lines} outside anchors in {path} match, up to event "
                f"{anchors.sequence}"
            )
            self._check_fresh(anchors.newest)

    def _problem(self, message: str) -> None:
        """A fault of the anchoring itself: fatal in production, a warning under DEBUG."""
        if not settings.DEBUG:
            raise CommandError(message)
        self.stderr.write(f"warning: {message}")

    def _check_fresh(self, newest) -> None:
        interval = settings.AUDIT_ANCHOR_INTERVAL
        age = (timezone.now() - newest).total_seconds() if newest else None
        if age is None or age > 2 * interval:
            self._problem(
                f"the newest outside anchor is {age or 0:.0f} s old, more than twice "
                f"AUDIT_ANCHOR_INTERVAL ({interval:g} s): anchoring has stopped (is beat "
                "running?), and events since could be cut unseen"
            )

    def _expect(self, head, sequence: str, expected_hash: str) -> None:
        if not sequence.isdigit():
            raise CommandError(f"--expect-head: {sequence!r} is not an event's sequence number")
        number = int(sequence)
        found = AuditEvent.objects.filter(sequence=number).values_list("hash", flat=True).first()
        if found is None:
            raise ChainBroken(
                head.sequence + 1,
                f"the chain ends at event {head.sequence}, but the expected head is event "
                f"{number}: events removed",
            )
        if found != expected_hash:
            raise ChainBroken(number, f"event {number} differs from the expected head (rewritten)")
        self.stdout.write(f"ok: the chain holds the expected head, event {number}")

    def _verify_export(self, export: str, public_key: str | None, manifest: str | None) -> None:
        # The key only from the command line: one in the export proves nothing.
        if not public_key:
            raise CommandError("--public-key is required with --file")
        try:
            result = check_file(export, public_key, manifest)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except ExportBroken as exc:
            raise CommandError(f"export broken: {exc}") from exc
        for line in summary(result):
            self.stdout.write(line)

    def _checkpoint(self) -> None:
        line = anchor()
        if line is None:
            self.stdout.write("nothing to sign: the trail is empty")
        else:
            self.stdout.write(f"anchored event {line['sequence']} in {settings.AUDIT_ANCHOR_PATH}")

    def _password(self, variable: str) -> str:
        # Never on the command line, where any local user could read it.
        password = os.environ.get(variable, "")
        if not password.strip():
            raise CommandError(f"--create needs the runtime role's password in {variable}")
        return password

    def _grant(self, role: str, password: str | None, dry_run: bool) -> None:
        try:
            with transaction.atomic():
                statements = grant_runtime(role, password=password, dry_run=dry_run)
        except RuntimeRoleError as exc:
            raise CommandError(str(exc)) from exc
        for statement in statements:
            self.stdout.write(statement + ";")
        if not dry_run:
            self.stdout.write(f"granted runtime rights to {role}")
