"""Inline SVG charts for the ``html`` report: drawn here, no chart library.

Every chart carries its numbers as text too (labels and a legend), so colour is never
the only signal and the figures survive printing in black and white.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from html import escape

from scanner.engine import ControlSummary
from scanner.results import Finding, Severity

PASS_COLOUR = "#1a7f37"
FAIL_COLOUR = "#cf222e"
ERROR_COLOUR = "#9a6700"
SUPPRESSED_COLOUR = "#8c959f"
SEVERITY_COLOUR = {
    Severity.CRITICAL: "#82071e",
    Severity.HIGH: "#cf222e",
    Severity.MEDIUM: "#bc4c00",
    Severity.LOW: "#9a6700",
    Severity.INFO: "#57606a",
}

_LABEL_W = 92
_BAR_W = 300
_ROW_H = 30
_COUNTS_W = 210


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def control_bars(summaries: Sequence[ControlSummary]) -> str:
    """One 100 % stacked bar per control: evaluated pass, fail, and not evaluated."""
    width = _LABEL_W + _BAR_W + _COUNTS_W
    height = _ROW_H * len(summaries) + 6
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="bars-title">',
        '<title id="bars-title">Results per control: pass, fail and not evaluated</title>',
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#fff"/><rect width="3" height="6" '
        f'fill="{ERROR_COLOUR}"/></pattern></defs>',
    ]
    for row, s in enumerate(summaries):
        y = row * _ROW_H + 4
        total = s.passed + s.failed + s.suppressed + s.errors
        out.append(
            f'<text x="0" y="{y + 16}" font-size="13" font-family="sans-serif">'
            f"{escape(s.control_id)}</text>"
        )
        x = float(_LABEL_W)
        segments = (
            ("pass", s.passed, PASS_COLOUR),
            ("fail", s.failed, FAIL_COLOUR),
            ("suppressed", s.suppressed, SUPPRESSED_COLOUR),
            ("not evaluated", s.errors, "url(#hatch)"),
        )
        if not total:
            out.append(
                f'<rect x="{x}" y="{y}" width="{_BAR_W}" height="22" fill="#fff" '
                'stroke="#8c959f" stroke-dasharray="4 3"><title>no results</title></rect>'
            )
        for label, count, fill in segments:
            if not count:
                continue
            w = _BAR_W * count / total
            out.append(
                f'<rect x="{_n(x)}" y="{y}" width="{_n(w)}" height="22" fill="{fill}" '
                f'stroke="#1b1f24" stroke-width="0.5"><title>{escape(s.control_id)}: '
                f"{count} {label}</title></rect>"
            )
            x += w
        text = (
            f"{s.passed} pass · {s.failed} fail · {s.errors} not evaluated"
            + (f" · {s.suppressed} suppressed" if s.suppressed else "")
            if total
            else "no results: no check ran"
        )
        out.append(
            f'<text x="{_LABEL_W + _BAR_W + 8}" y="{y + 16}" font-size="12" '
            f'font-family="sans-serif">{escape(text)}</text>'
        )
    out.append("</svg>")
    legend = (
        '<ul class="legend">'
        '<li><span class="key k-pass"></span>pass</li>'
        '<li><span class="key k-fail"></span>fail</li>'
        '<li><span class="key k-error"></span>not evaluated (ERROR)</li></ul>'
    )
    return "".join(out) + legend


def severity_donut(findings: Sequence[Finding]) -> str:
    """A donut of failing findings by severity, worst first, with a counted legend.

    Suppressed (accepted) FAILs are not failing and are left out."""
    counts = Counter(f.severity for f in findings if f.failing)
    total = sum(counts.values())
    order = sorted(Severity, key=lambda s: -s.rank)
    size, radius, stroke = 180, 62, 26
    centre = size / 2
    circumference = 2 * math.pi * radius
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-labelledby="donut-title">',
        f'<title id="donut-title">{total} failing findings by severity</title>',
        f'<circle cx="{centre}" cy="{centre}" r="{radius}" fill="none" stroke="#eaeef2" '
        f'stroke-width="{stroke}"/>',
    ]
    offset = 0.0
    for severity in order:
        count = counts.get(severity, 0)
        if not count:
            continue
        length = circumference * count / total
        out.append(
            f'<circle cx="{centre}" cy="{centre}" r="{radius}" fill="none" '
            f'stroke="{SEVERITY_COLOUR[severity]}" stroke-width="{stroke}" '
            f'stroke-dasharray="{_n(length)} {_n(circumference - length)}" '
            f'stroke-dashoffset="{_n(-offset)}" '
            f'transform="rotate(-90 {centre} {centre})">'
            f"<title>{count} {severity.value}</title></circle>"
        )
        offset += length
    out.append(
        f'<text x="{centre}" y="{centre + 2}" text-anchor="middle" font-size="26" '
        f'font-weight="700" font-family="sans-serif">{total}</text>'
        f'<text x="{centre}" y="{centre + 20}" text-anchor="middle" font-size="12" '
        'font-family="sans-serif">failing</text></svg>'
    )
    legend = "".join(
        f'<li><span class="key k-{s.value}"></span>{s.value}: {counts.get(s, 0)}</li>'
        for s in order
    )
    return "".join(out) + f'<ul class="legend">{legend}</ul>'
