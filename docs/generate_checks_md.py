"""Regenerate docs/checks.md from the check registry: ``python docs/generate_checks_md.py``.

tests/test_docs.py fails when the committed file is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scanner.controls import CONTROLS
from scanner.registry import Check, load_checks

TARGET = Path(__file__).with_name("checks.md")


def render() -> str:
    checks = load_checks(plugins=False)
    lines = [
        "# Built-in checks",
        "",
        "Generated from the check registry by `docs/generate_checks_md.py`; do not edit by",
        "hand. `cldscan checks` prints the same list for the installed version, including",
        "plug-ins.",
        "",
        "| control | checks |",
        "|---|---|",
    ]
    for control in CONTROLS.values():
        ids = [f"`{c.id}`" for c in checks.values() if control.id in c.controls]
        lines.append(f"| {control.id} {control.title} | {', '.join(ids)} |")
    for check in checks.values():
        lines += [
            "",
            f"## `{check.id}`",
            "",
            f"**{check.title}**",
            "",
            f"- Severity: {check.severity.value}",
            f"- Controls: {', '.join(check.controls)}",
            f"- Providers: {', '.join(check.providers)}",
            f"- Needs: {', '.join(check.needed_kinds)}",
            f"- References: {', '.join(check.references) or '-'}",
            "",
            f"*Why:* {check.rationale}",
            "",
            *_fixes(check),
        ]
    return "\n".join(lines) + "\n"


def _fixes(check: Check) -> list[str]:
    if len(check.remediation) == 1:
        return [f"*Fix:* {next(iter(check.remediation.values()))}"]
    return ["*Fix:*", ""] + [f"- {name}: {text}" for name, text in check.remediation.items()]


def main() -> int:
    TARGET.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
