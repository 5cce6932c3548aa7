"""axe-core's accessibility check, run inside the page a browser test has open.

axe comes from npm (``package.json``; ``make test`` runs ``npm ci``). Playwright
injects it as an inline script, which the app's Content-Security-Policy would
block: pages checked here come from the ``axe_page`` fixture, whose context
bypasses the CSP.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# What a person relying on a screen reader or a keyboard cannot get past.
BLOCKING = ("serious", "critical")


def violations(page: Page) -> list[dict]:
    """The serious and critical WCAG A/AA violations axe finds on the page as it is."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `npm ci` (make test does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
            });
            return result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                targets: v.nodes.map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in BLOCKING]


def report(page: Page) -> str:
    """The serious and critical violations on the page, one rule a line with the
    elements it found under it; empty when there are none."""
    found = violations(page)
    if not found:
        return ""
    lines = [f"axe found {len(found)} serious or critical violation(s) on {page.url}:"]
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {target}" for target in v["targets"])
    return "\n".join(lines)


def assert_no_serious_violations(page: Page) -> None:
    """Fail with every serious or critical violation: rule, what it asks, where."""
    found = report(page)
    if found:
        raise AssertionError(found)
