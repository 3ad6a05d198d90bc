"""``table``: findings for people, worst first, then the per-control summary.

Colour only on a terminal and never when ``NO_COLOR`` is set; long cells are cut to
the terminal width on a terminal and left whole elsewhere.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

import click

from scanner.engine import ScanReport
from scanner.results import Finding, Lifecycle, Status

_STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 3}
_SUPPRESSED_ORDER = 2
_STATUS_COLOUR = {Status.FAIL: "red", Status.ERROR: "yellow", Status.PASS: "green"}
_VERDICT_COLOUR = {"fail": "red", "incomplete": "yellow", "pass": "green"}
_RESOURCE_WIDTH = 48


def sort_key(f: Finding) -> tuple[int, int, str, str]:
    """Worst first: FAIL, ERROR, suppressed FAIL, PASS; then by severity."""
    rank = _SUPPRESSED_ORDER if f.suppressed else _STATUS_ORDER[f.status]
    return (rank, -f.severity.rank, f.check_id, f.resource.id)


def _status(f: Finding) -> str:
    return f"{f.status.value} (suppressed)" if f.suppressed else f.status.value


def _lifecycle(f: Finding) -> str:
    if f.lifecycle is None:
        return ""
    if f.lifecycle is Lifecycle.OPEN and f.first_seen:
        return f"open since {f.first_seen.date().isoformat()}"
    return f.lifecycle.value


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class Table:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        tty = _isatty(stream)
        self.colour = tty and "NO_COLOR" not in os.environ
        self.width = shutil.get_terminal_size((120, 24)).columns if tty else 0

    def style(self, text: str, colour: str | None, bold: bool = False) -> str:
        if not self.colour or colour is None:
            return text
        return click.style(text, fg=colour, bold=bold or None)

    def rows(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        colours: Sequence[Sequence[str | None]] | None = None,
    ) -> None:
        """Print aligned columns; on a terminal the last column takes what is left."""
        widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(len(header))]
        if self.width:
            used = sum(widths[:-1]) + 2 * (len(widths) - 1)
            widths[-1] = max(min(widths[-1], self.width - used - 1), 10)
        self._line(header, widths, [None] * len(header), bold=True)
        for n, row in enumerate(rows):
            self._line(row, widths, colours[n] if colours else [None] * len(row))

    def _line(
        self,
        cells: Sequence[str],
        widths: Sequence[int],
        colours: Sequence[str | None],
        bold: bool = False,
    ) -> None:
        out = []
        last = len(cells) - 1
        for i, (cell, width, colour) in enumerate(zip(cells, widths, colours, strict=True)):
            text = _cut(cell, width) if self.width else cell
            padded = text if i == last else text.ljust(width)
            out.append(self.style(padded, colour, bold))
        self.stream.write("  ".join(out).rstrip() + "\n")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def render(report: ScanReport, stream: TextIO) -> None:
    table = Table(stream)
    findings = sorted(report.findings, key=sort_key)
    if findings:
        resource_width = _RESOURCE_WIDTH if table.width else 10_000
        tracked = any(f.lifecycle for f in findings)
        rows = [
            (
                _status(f),
                f.severity.value,
                f.check_id,
                _cut(f.resource.name or f.resource.id, resource_width),
                f.resource.region,
                *((_lifecycle(f),) if tracked else ()),
                f.message,
            )
            for f in findings
        ]
        header: tuple[str, ...] = ("STATUS", "SEVERITY", "CHECK", "RESOURCE", "REGION")
        header += ("LIFECYCLE", "MESSAGE") if tracked else ("MESSAGE",)
        colours = [
            ("magenta" if f.suppressed else _STATUS_COLOUR[f.status],) + (None,) * (len(header) - 1)
            for f in findings
        ]
        table.rows(header, rows, colours)
    else:
        stream.write("No findings.\n")
    stream.write("\n")
    summaries = report.control_summaries()
    suppressed = any(s.suppressed for s in summaries)
    table.rows(
        ("CONTROL", "VERDICT", "PASS", "FAIL", "ERROR")
        + (("SUPPRESSED",) if suppressed else ())
        + ("COVERAGE", "TITLE"),
        [
            (
                s.control_id,
                f"{s.verdict}, incomplete" if s.failed and s.errors else s.verdict,
                str(s.passed),
                str(s.failed),
                str(s.errors),
                *((str(s.suppressed),) if suppressed else ()),
                f"{s.coverage:.0%}" if s.passed + s.failed + s.suppressed + s.errors else "-",
                s.title,
            )
            for s in summaries
        ],
        [
            (None, _VERDICT_COLOUR.get(s.verdict)) + (None,) * (6 if suppressed else 5)
            for s in summaries
        ],
    )
    applied = Counter(f.suppression for f in report.findings if f.suppression)
    if applied:
        stream.write("\nSuppressions applied (accepted FAIL findings):\n")
        for mark, count in applied.items():
            until = f"until {mark.expires}" if mark.expires else "no expiry"
            line = f"  {mark.entry}  {count} finding(s)  owner {mark.owner}  {until}: {mark.reason}"
            stream.write((_cut(line, table.width - 1) if table.width else line) + "\n")
    if report.expired_suppressions:
        stream.write("\nExpired suppressions (no longer applied):\n")
        for mark in report.expired_suppressions:
            stream.write(f"  {mark.entry}  expired {mark.expires}  owner {mark.owner}\n")
    uncovered = [(s.control_id, p, c) for s in summaries for p, c in s.uncovered]
    if uncovered:
        stream.write("\nChecks with no instance for a scanned provider (not judged there):\n")
        for control_id, provider, check_id in uncovered:
            stream.write(f"  {control_id:<10}  {provider:<6} {check_id}\n")
    stream.write("\nNot evaluated by cldscan (manual parts of the controls):\n")
    for s in summaries:
        for part in s.manual:
            line = f"  {s.control_id:<10}  {part}"
            stream.write((_cut(line, table.width - 1) if table.width else line) + "\n")
