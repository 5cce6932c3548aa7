"""Evidence files on disk, under settings.EVIDENCE_ROOT (outside the web root).

An upload is streamed to a private file while its SHA-256 is computed, so the
hash recorded is the hash of the bytes stored. The size limit is checked
against the declared size before anything is written, and again while
streaming, since a declared size can lie: a stream that passes the limit is
stopped and its partial file removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

CHUNK_SIZE = 64 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class EvidenceTooLarge(ValidationError):
    """The upload is larger than settings.EVIDENCE_MAX_BYTES; nothing was kept."""

    def __init__(self, size: int, limit: int, *, at_least: bool = False) -> None:
        self.size = size
        self.limit = limit
        amount = f"at least {size}" if at_least else str(size)
        super().__init__(
            f"The file is {amount} bytes; evidence files may be at most {limit} bytes.",
            code="too_large",
        )


@dataclass(frozen=True)
class StoredFile:
    relative_path: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(settings.EVIDENCE_MAX_BYTES)


def check_declared_size(upload) -> None:
    """Refuse an upload whose declared size is over the limit, before reading it."""
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes():
        raise EvidenceTooLarge(int(declared), max_bytes())


def store_upload(upload) -> StoredFile:
    """Write ``upload`` (a Django UploadedFile or any binary file object) to a new file."""
    check_declared_size(upload)
    limit = max_bytes()
    root = Path(settings.EVIDENCE_ROOT)
    # Never derived from the uploaded name: the name is metadata, not a path.
    relative = PurePosixPath(timezone.now().strftime("%Y/%m")) / uuid.uuid4().hex
    final = root / relative
    partial = final.with_name(final.name + ".part")
    final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    digest = hashlib.sha256()
    size = 0
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(upload):
                size += len(chunk)
                if size > limit:
                    raise EvidenceTooLarge(size, limit, at_least=True)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredFile(relative_path=str(relative), size=size, sha256=digest.hexdigest())


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_of(relative_path: str) -> Path:
    """The absolute path of a stored file; refuses anything that leaves EVIDENCE_ROOT."""
    root = Path(settings.EVIDENCE_ROOT).resolve()
    path = (root / relative_path).resolve()
    if not relative_path or not path.is_relative_to(root):
        raise ValueError(f"evidence path {relative_path!r} is outside the evidence root")
    return path


def remove(relative_path: str) -> None:
    if relative_path:
        path_of(relative_path).unlink(missing_ok=True)


def clean_filename(upload) -> str:
    name = os.path.basename(str(getattr(upload, "name", "") or "")).replace("\x00", "")
    return name[:255]


def clean_content_type(upload) -> str:
    content_type = str(getattr(upload, "content_type", "") or "").replace("\x00", "").strip()
    return content_type[:200] or DEFAULT_CONTENT_TYPE


def _chunks(upload) -> Iterator[bytes]:
    if hasattr(upload, "seek"):
        # A non-seekable stream is read from where it stands.
        with contextlib.suppress(OSError, ValueError):
            upload.seek(0)
    if hasattr(upload, "chunks"):
        yield from upload.chunks(CHUNK_SIZE)
        return
    while chunk := upload.read(CHUNK_SIZE):
        yield chunk
