#!/usr/bin/env python3
"""Check the locked dependencies against the public advisory databases (``make audit``).

Python packages: pip-audit on ``requirements.lock`` (every pin, hashes
included, without installing anything). Front-end packages: ``npm audit`` on
``package-lock.json``.

A package the advisory service could not be asked about is *not* a package
without advisories: the summary counts the two apart, so an unreachable
service never reads as a clean result.

Exit status: 0 every package audited and none has a known vulnerability;
1 a known vulnerability; 2 some packages could not be audited.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = ROOT / ".venv" / "bin" / "pip-audit"


@dataclass
class Result:
    """What one advisory database said about one package manager's lock file."""

    ecosystem: str
    audited: int = 0
    vulnerabilities: list[str] = field(default_factory=list)
    not_audited: str = ""

    def lines(self) -> list[str]:
        head = f"{self.ecosystem}: {self.audited} packages audited"
        if self.not_audited:
            head += f"; NOT AUDITED: {self.not_audited}"
        head += f"; {len(self.vulnerabilities)} known vulnerabilities"
        return [head] + [f"  {line}" for line in self.vulnerabilities]


def audit_python() -> Result:
    result = Result("Python (requirements.lock)")
    run = subprocess.run(
        [
            str(PIP_AUDIT),
            "-r",
            "requirements.lock",
            "--disable-pip",
            "--format",
            "json",
            "--progress-spinner",
            "off",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        result.not_audited = "pip-audit failed: " + (run.stderr.strip().splitlines() or ["?"])[-1]
        return result
    skipped = []
    for dependency in report["dependencies"]:
        if "skip_reason" in dependency:
            skipped.append(dependency["name"])
            continue
        result.audited += 1
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed release"
            result.vulnerabilities.append(
                f"{dependency['name']} {dependency['version']}: {vulnerability['id']} "
                f"(fixed in {fixed})"
            )
    if skipped:
        result.not_audited = (
            f"{len(skipped)} packages the advisory service could not be asked about "
            f"({', '.join(skipped[:5])}{', …' if len(skipped) > 5 else ''})"
        )
    return result


def audit_npm() -> Result:
    result = Result("npm (package-lock.json)")
    run = subprocess.run(["npm", "audit", "--json"], cwd=ROOT, capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        result.not_audited = "npm audit failed: " + (run.stderr.strip().splitlines() or ["?"])[-1]
        return result
    if "metadata" not in report:
        result.not_audited = "the advisory service answered " + str(
            report.get("message") or report.get("error", {}).get("summary") or "an error"
        )
        return result
    result.audited = report["metadata"]["dependencies"]["total"]
    for name, finding in sorted(report.get("vulnerabilities", {}).items()):
        result.vulnerabilities.append(f"{name}: {finding['severity']} ({finding['range']})")
    return result


def main() -> int:
    results = [audit_python(), audit_npm()]
    for result in results:
        print("\n".join(result.lines()))
    if any(result.vulnerabilities for result in results):
        return 1
    if any(result.not_audited for result in results):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
