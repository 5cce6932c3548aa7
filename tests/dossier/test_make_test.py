"""``make test`` never passes by running nothing."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_test_fails_when_pytest_collects_no_tests():
    result = subprocess.run(
        [
            "make",
            "-s",
            "test",
            "PYTEST_ARGS=tests/dossier/test_make_test.py -k no_test_has_this_name",
        ],
        cwd=ROOT,
        env={**os.environ, "MAKEFLAGS": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "make test: pytest collected no tests" in result.stderr
