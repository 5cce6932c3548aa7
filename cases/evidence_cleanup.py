"""Removing evidence files that no Evidence row refers to.

``add_evidence_file`` writes the file before the row's transaction and
removes it again if that transaction fails, but a caller's outer transaction
can still roll back after it returned, and a process killed mid-upload leaves
its ``.part`` file. Such files belong to no row. This sweep (beat runs it
every hour as ``cases.tasks.remove_orphaned_evidence``; ``manage.py
remove_orphaned_evidence`` runs it by hand) deletes them once they are older
than an hour: the grace a slow transaction gets to commit the row that names
its file.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection

from cases import evidence_store

logger = logging.getLogger(__name__)

MIN_AGE = timedelta(hours=1)
# Only names the store gives (evidence_store.store_upload): whatever else sits
# under EVIDENCE_ROOT is not ours to delete.
STORE_NAME = re.compile(r"\d{4}/\d{2}/[0-9a-f]{32}(?:\.part)?")
CHUNK = 5000
# A sweep that would delete most of the store is refused: that means the
# database is not the one these files belong to (a restore, a wrong URL).
REFUSE_SHARE = 0.5
REFUSE_ABOVE = 20

_UNREFERENCED_SQL = """
SELECT p FROM unnest(%s::text[]) AS p
 WHERE NOT EXISTS (SELECT 1 FROM cases_evidence e WHERE e.file_path = p)
"""


@dataclass
class Sweep:
    scanned: int = 0
    orphans: list[str] = field(default_factory=list)
    removed: int = 0
    refused: str = ""


def _stored_files(root: Path) -> Iterator[tuple[str, float]]:
    """(relative path, mtime) of each regular file the store named; links are not followed."""
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            if not STORE_NAME.fullmatch(relative):
                continue
            info = path.lstat()
            if stat.S_ISREG(info.st_mode):
                yield relative, info.st_mtime


def _unreferenced(paths: list[str]) -> list[str]:
    orphans: list[str] = []
    with connection.cursor() as cursor:
        for start in range(0, len(paths), CHUNK):
            cursor.execute(_UNREFERENCED_SQL, [paths[start : start + CHUNK]])
            orphans.extend(row[0] for row in cursor.fetchall())
    return orphans


def remove_orphaned_files(
    *, min_age: timedelta = MIN_AGE, dry_run: bool = False, force: bool = False
) -> Sweep:
    """Delete stored files older than ``min_age`` that no Evidence row names."""
    root = Path(settings.EVIDENCE_ROOT)
    sweep = Sweep()
    if not root.is_dir():
        return sweep
    cutoff = time.time() - min_age.total_seconds()
    old: list[str] = []
    for relative, mtime in _stored_files(root):
        sweep.scanned += 1
        if mtime < cutoff:
            old.append(relative)
    sweep.orphans = sorted(_unreferenced(old))
    count = len(sweep.orphans)
    if not force and count > REFUSE_ABOVE and count > REFUSE_SHARE * sweep.scanned:
        sweep.refused = (
            f"{count} of {sweep.scanned} evidence files have no row: is this the database "
            "they belong to? Nothing was removed."
        )
        logger.error("evidence cleanup refused: %s", sweep.refused)
        return sweep
    if dry_run:
        return sweep
    for relative in sweep.orphans:
        evidence_store.remove(relative)
        sweep.removed += 1
    if sweep.removed:
        logger.info("removed %d orphaned evidence files", sweep.removed)
    return sweep
