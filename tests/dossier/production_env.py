"""Django started the way a production server starts it: DEBUG off, settings from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Everything production requires, with well-formed values.
PRODUCTION = {
    "SECRET_KEY": "a-long-production-secret-for-the-settings-test-only-not-a-real-one",
    "ALLOWED_HOSTS": "dossier.example.org",
    "SITE_URL": "https://dossier.example.org",
    "DATABASE_URL": "postgres://dossier@db.example.org:5432/dossier",
    "REDIS_URL": "redis://redis.example.org:6379/0",
    "EVIDENCE_ROOT": "/srv/dossier/evidence",
    "EXPORT_ROOT": "/srv/dossier/exports",
    "AUDIT_ANCHOR_PATH": "/srv/dossier/anchors/audit-anchors.jsonl",
    # Named on purpose: no silent record-only backend, no silently absent checkpoints.
    "ENFORCEMENT_BACKEND": "log",
    "AUDIT_CHECKPOINT_KEYS": "a-checkpoint-key-for-the-settings-test",
    # Base64 of 32 letters "a": well-formed, and plainly not a real key.
    "AUDIT_SIGNING_KEY": "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=",
}


def run_in_production(*args: str, **variables: str | None) -> subprocess.CompletedProcess:
    """``python *args`` in the project with only PRODUCTION (changed by ``variables``) set."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "dossier.settings"}
    env.update(PRODUCTION)
    for name, value in variables.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
