"""Dossier's signed export files: how Dossier writes them and how anyone checks them.

Pure Python (the standard library, ``cryptography`` and ``audit.chain``, no
Django), so the same code signs an export on the server, checks it in
``manage.py audit verify --file`` and in ``scripts/verify_audit_export.py``,
which an auditor runs without Dossier's settings or database
(docs/audit-exports.md).

An export is a header (CSV only), one record per event in sequence order,
and a last line, the trailer: the manifest and its Ed25519 signature. Each
record carries its position (``row``, from 1), every field the event's hash
covers (``audit.chain.HASHED_FIELDS``) and the hash, so each record proves
itself; consecutive events also prove their link (``prev_hash``). The
manifest, signed, names the filter, the count, the first and last event and
the SHA-256 of every byte before the trailer, so nothing can be removed,
added, reordered or edited without the check naming the row.

The enforcement ledger (every action target of a period, written by
``enforcement.ledger``) is a file of the same make in another format: what
differs is a :class:`audit.exportformats.FileFormat`; the header, numbering,
trailer, signature and body digest, and their checks, are shared and here.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.exportformats import (
    AUDIT,
    CSV_TRAILER,
    FORMATS,
    LEDGER,
    OUTPUTS,
    ExportBroken,
    FileFormat,
    csv_line,
)
from audit.signing import canonical, checkpoint_message


def public_key_of(private_key: bytes) -> bytes:
    """The 32 raw bytes of the public half of an Ed25519 private key's 32 raw bytes."""
    key = Ed25519PrivateKey.from_private_bytes(private_key).public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def load_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key, as base64 of its 32 raw bytes or as PEM."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ValueError("the public key is neither base64 nor PEM") from exc
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


# Writing ---------------------------------------------------------------------


class ExportWriter:
    """Encodes items one by one and keeps what the manifest needs: constant memory."""

    def __init__(self, output: str, file_format: FileFormat = AUDIT):
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)}")
        self.output = output
        self.format = file_format
        self.rows = 0
        self.first: dict[str, Any] | None = None
        self.last: dict[str, Any] | None = None
        self._digest = hashlib.sha256()

    def _emit(self, data: bytes) -> bytes:
        self._digest.update(data)
        return data

    def header(self) -> bytes:
        return self._emit(csv_line(self.format.columns)) if self.output == "csv" else b""

    def record(self, item: Mapping[str, Any]) -> bytes:
        """One item (for the audit trail a mapping of ``HASHED_FIELDS`` and ``hash``;
        for the ledger one of ``LEDGER_COLUMNS`` but the first and last) as its record."""
        self.rows += 1
        record = self.format.record(self.rows, item)
        ends = {name: record[name] for name in self.format.ends}
        self.first = self.first or ends
        self.last = ends
        if self.output == "jsonl":
            return self._emit(canonical(record) + b"\n")
        return self._emit(csv_line(self.format.csv_cells(self.rows, item)))

    def records(self, items: Iterable[Mapping[str, Any]]) -> bytes:
        """Several items (a page) as the bytes ``record`` gives each, joined; for CSV
        written by one csv writer at once, which saves most of the per-row work."""
        if self.output == "jsonl":
            return b"".join([self.record(item) for item in items])
        cells = [
            self.format.csv_cells(self.rows + number, item) for number, item in enumerate(items, 1)
        ]
        if not cells:
            return b""
        self.rows += len(cells)
        self.first = self.first or self._ends(cells[0])
        self.last = self._ends(cells[-1])
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(cells)
        return self._emit(buffer.getvalue().encode())

    def written(self, data: bytes, *, rows: int) -> bytes:
        """``rows`` records encoded elsewhere (PostgreSQL's COPY writes an audit
        export's CSV), counted and digested; the caller sets ``first`` and ``last``."""
        self.rows += rows
        return self._emit(data)

    def _ends(self, cells: list[Any]) -> dict[str, Any]:
        columns = self.format.columns
        return {name: cells[columns.index(name)] for name in self.format.ends}

    # The audit trail's names for them.
    event = record
    events = records

    def trailer(self, private_key: bytes, **about: Any) -> bytes:
        """The signed manifest, as the last line; ``about`` adds what the server knows
        (the filter, who generated the export and when)."""
        manifest = {
            **about,
            "format": self.format.name,
            "output": self.output,
            "rows": self.rows,
            "first": self.first,
            "last": self.last,
            "body_sha256": self._digest.hexdigest(),
            "key_id": key_id(public_key_of(private_key)),
        }
        signature = Ed25519PrivateKey.from_private_bytes(private_key).sign(canonical(manifest))
        encoded = base64.b64encode(signature).decode()
        if self.output == "jsonl":
            return canonical({"manifest": manifest, "signature": encoded}) + b"\n"
        return csv_line([CSV_TRAILER, canonical(manifest).decode(), encoded])


# Checking --------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    rows: int
    manifest: dict[str, Any]


def _split_trailer(data: bytes) -> tuple[bytes, bytes | None]:
    """The body and the last line when it is a trailer (else None)."""
    end = len(data.rstrip(b"\r\n"))
    start = data.rfind(b"\n", 0, end) + 1
    last = data[start:end]
    if last.startswith(b'{"manifest":') or last.startswith(CSV_TRAILER.encode() + b","):
        return data[:start], last
    return data, None


def _parse_trailer(line: bytes) -> tuple[dict[str, Any], str]:
    try:
        if line.startswith(b"{"):
            document = json.loads(line)
            return document["manifest"], document["signature"]
        cells = next(csv.reader(io.StringIO(line.decode())))
        return json.loads(cells[1]), cells[2]
    except (ValueError, KeyError, IndexError, TypeError, StopIteration) as exc:
        raise ExportBroken(None, "the manifest is not readable (damaged)") from exc


def _format_of(body: bytes, csv_body: bool, trailer: bytes | None) -> FileFormat:
    """Which kind of export ``body`` is: by its CSV header, else by its first
    record's columns, else by what its manifest says (checked once signed)."""
    first = body.split(b"\n", 1)[0].rstrip(b"\r")
    if csv_body:
        header = tuple(next(csv.reader([first.decode("utf-8", errors="replace")]), []))
        for candidate in FORMATS:
            if header == candidate.columns:
                return candidate
        raise ExportBroken(
            None, "the CSV header is not a Dossier export's (audit trail or enforcement ledger)"
        )
    try:
        keys = set(json.loads(first)) if first else set()
    except (ValueError, TypeError):
        keys = set()
    for candidate in FORMATS:
        if keys and set(candidate.columns) <= keys:
            return candidate
    if trailer is not None:
        try:
            named = _parse_trailer(trailer)[0].get("format")
        except (ExportBroken, AttributeError):
            named = None
        for candidate in FORMATS:
            if candidate.name == named:
                return candidate
    return AUDIT


def _jsonl_records(body: bytes, _format: FileFormat) -> Iterable[tuple[int, dict[str, Any] | None]]:
    for position, line in enumerate(body.splitlines(), start=1):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        yield position, record if isinstance(record, dict) else None


def _csv_records(
    body: bytes, file_format: FileFormat
) -> Iterable[tuple[int, dict[str, Any] | None]]:
    columns = file_format.columns
    reader = csv.reader(io.StringIO(body.decode("utf-8", errors="replace"), newline=""))
    next(reader, None)  # the header, which named the format
    for position, cells in enumerate(reader, start=1):
        if len(cells) != len(columns):
            yield position, None
            continue
        try:
            yield position, file_format.from_csv(dict(zip(columns, cells, strict=True)))
        except ValueError:
            yield position, None


def _records(body: bytes, csv_body: bool, file_format: FileFormat):
    return list((_csv_records if csv_body else _jsonl_records)(body, file_format))


def _check_records(body: bytes, csv_body: bool, file_format: FileFormat) -> tuple[int, bytes]:
    """Check every record; return how many, and raise at the first fault."""
    records = _records(body, csv_body, file_format)
    numbers = [record.get("row") if record else None for _, record in records]
    previous: dict[str, Any] | None = None
    for position, record in records:
        if record is None or not set(file_format.columns) <= set(record):
            raise ExportBroken(
                position, f"row {position} is not a complete record (file truncated or damaged)"
            )
        number = record["row"]
        if number != position:
            if position in numbers[position:]:
                found = numbers.index(position, position) + 1
                raise ExportBroken(
                    position,
                    f"row {position} is out of order: it is line {found} of the records "
                    f"and row {number} stands in its place (rows reordered)",
                )
            raise ExportBroken(
                position,
                f"row {position} is missing (removed): row {number} follows row {position - 1}",
            )
        file_format.check(position, record, previous)
        previous = record
    return len(records), hashlib.sha256(body).digest()


def verify_export(
    data: bytes, public_key: Ed25519PublicKey, manifest_line: bytes | None = None
) -> Verified:
    """Check an export's bytes (the audit trail's or the enforcement ledger's)
    with ``public_key`` alone; raise :class:`ExportBroken`.

    The manifest is the file's trailer, or ``manifest_line`` (a trailer saved
    apart) when given. The key never comes from the file: a forger could put
    their own there.
    """
    body, trailer = _split_trailer(data)
    if manifest_line is not None:
        trailer = manifest_line.strip()
    csv_body = body.startswith(b"row,")
    file_format = _format_of(body, csv_body, trailer)
    rows, body_digest = _check_records(body, csv_body, file_format)
    if trailer is None:
        raise ExportBroken(
            rows or None,
            f"no manifest: the file ends after row {rows} (truncated, or the manifest was "
            "removed; give it with --manifest if it was saved apart)",
        )
    manifest, signature = _parse_trailer(trailer)
    try:
        public_key.verify(base64.b64decode(signature), canonical(manifest))
    except (InvalidSignature, ValueError) as exc:
        raise ExportBroken(
            None,
            "the manifest's signature does not verify with the given public key "
            "(the manifest was altered, or signed with another key)",
        ) from exc
    _match_manifest(manifest, body, rows, body_digest, csv_body, file_format)
    if file_format is AUDIT:
        _match_checkpoint(manifest, body, csv_body, public_key)
    return Verified(rows=rows, manifest=manifest)


def _match_manifest(
    manifest: dict[str, Any],
    body: bytes,
    rows: int,
    body_digest: bytes,
    csv_body: bool,
    file_format: FileFormat,
) -> None:
    """The signed manifest describes this very file: format, count, ends, bytes."""
    if manifest.get("format") != file_format.name:
        raise ExportBroken(None, f"the file is of format {file_format.name}, its manifest is not")
    if (manifest.get("output") == "csv") != csv_body:
        raise ExportBroken(None, "the manifest is of another output than this file")
    records = _records(body, csv_body, file_format) if rows else []
    noun = file_format.noun

    def ends(position: int) -> dict[str, Any] | None:
        if not rows:
            return None
        record = records[position - 1][1] or {}
        return {name: record.get(name) for name in file_format.ends}

    if manifest.get("first") != ends(1):
        raise ExportBroken(
            1,
            f"row 1 is not the manifest's first {noun} (the manifest names "
            f"{manifest.get('first')}, the file has {ends(1)}): not this manifest's file",
        )
    listed = manifest.get("rows")
    if listed != rows:
        if isinstance(listed, int) and rows < listed:
            raise ExportBroken(
                rows + 1,
                f"row {rows + 1} is missing: the file ends after row {rows}, the manifest "
                f"lists {listed} rows (file truncated)",
            )
        raise ExportBroken(
            (listed or 0) + 1,
            f"the file has {rows} rows, the manifest lists {listed} (rows added)",
        )
    if manifest.get("last") != ends(rows):
        raise ExportBroken(
            rows,
            f"row {rows} is not the manifest's last {noun} (the manifest names "
            f"{manifest.get('last')}, the file has {ends(rows)})",
        )
    if body_digest.hex() != manifest.get("body_sha256"):
        raise ExportBroken(
            None,
            "the file's bytes differ from those the manifest signed (SHA-256 of the body): "
            f"a record was rewritten with a recomputed {file_format.ends[1]}, or not this "
            "manifest's file",
        )


def _match_checkpoint(
    manifest: dict[str, Any], body: bytes, csv_body: bool, public_key: Ed25519PublicKey
) -> None:
    """The chain checkpoint an audit export's manifest carries (the latest outside
    anchor when it was made, docs/audit-trail.md) is signed with the same key,
    and the file agrees with it where it holds that event."""
    checkpoint = manifest.get("checkpoint")
    if not checkpoint:
        return
    try:
        public_key.verify(
            base64.b64decode(str(checkpoint.get("signature", ""))), checkpoint_message(checkpoint)
        )
    except (InvalidSignature, ValueError) as exc:
        raise ExportBroken(
            None,
            f"the manifest's chain checkpoint (event {checkpoint.get('sequence')}) does not "
            "verify with the given public key",
        ) from exc
    for position, record in _records(body, csv_body, AUDIT):
        if record and record.get("sequence") == checkpoint.get("sequence"):
            if record.get("hash") != checkpoint.get("hash"):
                raise ExportBroken(
                    position,
                    f"row {position} (event {checkpoint['sequence']}) differs from the "
                    "signed chain checkpoint the manifest carries",
                )
            return


# The command line (``scripts/verify_audit_export.py``, ``manage.py audit verify --file``).


def read_public_key(argument: str) -> Ed25519PublicKey:
    """``--public-key``: a file holding the key, or the key itself (base64 or PEM)."""
    path = Path(argument)
    text = path.read_text() if len(argument) < 4096 and path.is_file() else argument
    return load_public_key(text)


def check_file(export: str, public_key: str, manifest: str | None = None) -> Verified:
    """Check the export at path ``export``; the manifest at path ``manifest`` if given."""
    key = read_public_key(public_key)
    manifest_line = Path(manifest).read_bytes() if manifest else None
    return verify_export(Path(export).read_bytes(), key, manifest_line)


def summary(result: Verified) -> list[str]:
    manifest = result.manifest
    file_format = next((f for f in FORMATS if f.name == manifest.get("format")), AUDIT)
    noun, (key, proof) = file_format.noun, file_format.ends
    lines = [f"ok: {result.rows} rows verified against the signed manifest"]
    if file_format is LEDGER:
        lines.append("enforcement ledger: one row per action target")
    if manifest.get("last"):
        lines.append(
            f"{noun}s {manifest['first'][key]} to {manifest['last'][key]}, "
            f"through {noun} {manifest.get(file_format.through)}; "
            f"last {proof} {manifest['last'][proof]}"
        )
    lines.append(
        f"filter {json.dumps(manifest.get('filter'), sort_keys=True)}; "
        f"TLP:RED cases included: {'yes' if manifest.get('tlp_red_included') else 'no'}"
    )
    lines.append(
        f"generated by {manifest.get('generated_by')} at {manifest.get('generated_at')} "
        f"(export event {manifest.get('export_event')}, key {manifest.get('key_id')})"
    )
    checkpoint = manifest.get("checkpoint")
    if checkpoint:
        lines.append(
            f"chain checkpoint: event {checkpoint['sequence']} hash {checkpoint['hash']}, "
            f"signed {checkpoint['created_at']}; keep it: `manage.py audit verify "
            f"--expect-head {checkpoint['sequence']} {checkpoint['hash']}` proves a later "
            "chain extends it"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check a Dossier audit export or enforcement ledger with the signer's "
        "public key alone."
    )
    parser.add_argument("--file", required=True, help="the export (CSV or JSONL)")
    parser.add_argument("--manifest", help="the manifest, when saved apart from the file")
    parser.add_argument(
        "--public-key",
        required=True,
        help="the public key (base64 or PEM), or a file holding it; never taken from the export",
    )
    options = parser.parse_args(argv)
    try:
        result = check_file(options.file, options.public_key, options.manifest)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ExportBroken as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print("\n".join(summary(result)))
    return 0
