"""Nothing shaped like a key or a token is committed.

Secrets come only from the environment (README, Configuration). This test
reads every file git tracks and fails on a private key, a cloud or chat
token, one of Dossier's own tokens, or a long random literal assigned to a
secret-sounding name; it names the file and line.
"""

from __future__ import annotations

import math
import re
import secrets
import subprocess
from collections import Counter

from tests.dossier.production_env import ROOT

SHAPES = {
    "a private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "an AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "a Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "a payment provider's live key": re.compile(r"\b[sr]k_live_[A-Za-z0-9]{20,}"),
    "a Dossier token": re.compile(r"\bds[pr]_[A-Za-z0-9_-]{40,}"),
}
# A quoted literal of 32+ token characters given to a name that sounds secret.
ASSIGNED = re.compile(
    r"(?i)(?:secret|token|password|passwd|api_?key|private_?key|signing_?key)\w*['\"]?\s*[:=]\s*"
    r"['\"]([A-Za-z0-9+/=_\-]{32,})['\"]"
)
# Random keys spread over many characters; words and test names do not.
RANDOM_BITS_PER_CHARACTER = 4.2


def bits_per_character(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def findings(text: str) -> list[str]:
    found = [what for what, shape in SHAPES.items() if shape.search(text)]
    for match in ASSIGNED.finditer(text):
        if bits_per_character(match.group(1)) >= RANDOM_BITS_PER_CHARACTER:
            found.append("a random secret assigned in code")
    return found


def tracked_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    )
    return [name for name in listing.stdout.split("\0") if name]


def test_no_tracked_file_holds_anything_shaped_like_a_secret():
    problems = []
    files = tracked_files()
    assert "README.md" in files
    for name in files:
        path = ROOT / name
        if path.is_symlink() or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            problems += [f"{name}:{number}: {what}" for what in findings(line)]
    assert problems == []


def test_each_shape_is_recognised():
    # Made here, never written to a file, so the scan above cannot pass by seeing none.
    random = secrets.token_urlsafe(32)
    planted = {
        "a private key": "-----BEGIN " + "OPENSSH PRIVATE KEY-----",
        "an AWS access key": "AKIA"
        + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ234567") for _ in range(16)),
        "a GitHub token": "ghp_" + secrets.token_hex(20),
        "a Slack token": "xoxb-" + secrets.token_hex(12),
        "a payment provider's live key": "sk_live_" + secrets.token_hex(14),
        "a Dossier token": "dsr_" + random,
        "a random secret assigned in code": f'ENFORCEMENT_SECRET = "{random}"',
    }
    for what, line in planted.items():
        assert what in findings(line), what


def test_words_and_development_defaults_are_not_secrets():
    for line in (
        'SECRET_KEY = "dossier-development-only-secret-key-not-for-production"',
        'token = "a-long-random-production-secret-for-the-settings-test"',
        "token_hash = models.CharField(max_length=64)",
    ):
        assert findings(line) == [], line
