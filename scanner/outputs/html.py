"""``html``: one self-contained audit report for people (docs/report.md).

Inline CSS, inline SVG charts and a small inline script for sorting and filtering the
findings table; nothing is fetched. Every value that came from a cloud (names, ids,
messages, evidence) is escaped. Findings and control summaries are read through
:mod:`scanner.outputs.records`, so fields added to the native record appear here too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any, TextIO

from scanner import __version__
from scanner.controls import CONTROLS, FRAMEWORK
from scanner.engine import ControlSummary, ScanReport
from scanner.outputs.html_assets import CSP, CSS, JS
from scanner.outputs.html_charts import control_bars, severity_donut
from scanner.outputs.records import control_record, finding_record, jsonable
from scanner.outputs.table import sort_key
from scanner.results import Finding, Severity, Status

MAX_LISTED = 50
"""Failing resources listed per check in a control card; the table has them all."""

_STATUS_ORDER = {"FAIL": 0, "ERROR": 1, "PASS": 2}
_STATUS_LABEL = {"FAIL": "✗ FAIL", "ERROR": "? ERROR", "PASS": "✓ PASS"}
_VERDICT_LABEL = {
    "fail": "✗ Fail",
    "incomplete": "? Incomplete",
    "pass": "✓ Pass",
    "not_evaluated": "○ Not evaluated",
}
_RECORD_KEYS = frozenset(
    {
        "finding_id", "check_id", "title", "status", "severity", "controls", "resource",
        "message", "evidence", "remediation", "references",
    }
)  # fmt: skip
_CONTROL_KEYS = frozenset(
    {
        "id", "title", "verdict", "complete", "passed", "failed", "errors", "coverage",
        "checks", "manual", "not_covered",
    }
)  # fmt: skip


def e(value: object) -> str:
    """Escaped text for element content and quoted attribute values."""
    return escape("" if value is None else str(value), quote=True)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _breakable(ident: str) -> str:
    """An escaped dotted identifier that may wrap after its dots and underscores."""
    return e(ident).replace(".", ".<wbr>").replace("_", "_<wbr>")


def _plain(value: Any) -> str:
    """One line of text for a record value; a flat mapping reads ``key: value; ...``."""
    data = jsonable(value)
    if isinstance(data, str):
        return data
    if isinstance(data, dict) and not any(isinstance(v, dict | list) for v in data.values()):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in data.items() if v not in (None, ""))
    return json.dumps(data, ensure_ascii=False)


def accepted(f: Finding) -> bool:
    """A FAIL that does not count as failing: suppressed (accepted) by the user."""
    return f.status is Status.FAIL and not f.failing


# --- header ------------------------------------------------------------------------------


def _scopes_not_evaluated(findings: Iterable[Finding]) -> set[tuple[str, str, str]]:
    return {
        (f.resource.provider, f.resource.account, f.resource.region)
        for f in findings
        if f.status is Status.ERROR
    }


def _filtered(report: ScanReport) -> bool:
    """Whether some findings the control summaries counted were left out of the output.

    Compared per status and only one way: state can add records (findings resolved by
    disappearing) that no summary counts."""
    for summary in report.control_summaries():
        mine = [f for f in report.findings if summary.control_id in f.controls]
        if (
            sum(f.status is Status.PASS for f in mine) < summary.passed
            or sum(f.failing for f in mine) < summary.failed
            or sum(accepted(f) for f in mine) < summary.suppressed
            or sum(f.status is Status.ERROR for f in mine) < summary.errors
        ):
            return True
    return False


def _time(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return (
        f'<time datetime="{e(utc.isoformat())}">{e(utc.strftime("%Y-%m-%d %H:%M:%S"))} UTC</time>'
    )


def _header(report: ScanReport, now: datetime) -> str:
    counts = {s: sum(f.status is s for f in report.findings) for s in Status}
    suppressed = sum(accepted(f) for f in report.findings)
    version = e(__version__)
    if report.tool_version and report.tool_version != __version__:
        version += f" (inventory collected by {e(report.tool_version)})"
    providers = sorted({s.provider for s in report.scopes})
    # The control summaries count every finding even when --status hid some of them.
    incomplete = not report.complete or any(c.errors for c in report.control_summaries())
    if not incomplete:
        note = (
            f"<p>{plural(len(report.gaps), 'collection gap')} affected none of the evaluated "
            "checks.</p>"
            if report.gaps
            else ""
        )
        banner = (
            '<div class="banner complete" id="completeness"><span>✓ Complete: every '
            f"evaluated check saw every scope.</span>{note}</div>"
        )
    else:
        unseen = _scopes_not_evaluated(report.findings) or {
            (g.provider, g.account, g.region) for g in report.gaps
        }
        where = ", ".join(" ".join(scope) for scope in sorted(unseen))
        errors = (
            f"{plural(counts[Status.ERROR], 'finding')} not evaluated (ERROR): "
            if counts[Status.ERROR]
            else "Findings were not evaluated there: "
        )
        banner = (
            '<div class="banner incomplete" id="completeness" role="status">'
            f"<span>⚠ Incomplete: {plural(len(unseen), 'scope')} not evaluated</span>"
            f"<p>{e(where)}. {errors}a PASS cannot be claimed there. "
            'See <a href="#gaps">collection gaps</a>.</p></div>'
        )
    expired = report.expired_suppressions
    if expired:
        items = "".join(
            f"<li>{e(x.entry)}: {e(x.reason)} (owner {e(x.owner)}, expired {e(x.expires)})</li>"
            for x in expired
        )
        banner += (
            '<div class="banner incomplete" id="expired"><span>⚠ '
            f"{plural(len(expired), 'suppression')} expired: no longer applied</span>"
            f"<ul>{items}</ul></div>"
        )
    numbers = [
        ("findings", "Findings", len(report.findings)),
        ("fail", "Fail", counts[Status.FAIL] - suppressed),
        ("error", "Not evaluated", counts[Status.ERROR]),
        ("pass", "Pass", counts[Status.PASS]),
        ("scopes", "Scopes", len(report.scopes)),
    ]
    if suppressed:
        numbers.insert(2, ("suppressed", "Suppressed", suppressed))
    totals = "".join(
        f'<div><dt>{e(label)}</dt><dd id="total-{e(key)}">{value}</dd></div>'
        for key, label, value in numbers
    )
    if _filtered(report):
        totals += (
            '<p id="filtered">Only some findings were written (an output filter such as '
            "<code>--status</code>): these totals and the table cover those; the control "
            "counts below cover every finding.</p>"
        )
    return (
        "<header><h1>cldscan audit report</h1>"
        f'<p class="meta">{e(FRAMEWORK.name)} cloud controls · cldscan {version} · '
        + (
            f"configuration collected {_time(report.collected_at)} · "
            if report.collected_at
            else ""
        )
        + f"report generated {_time(now)} · providers: {e(', '.join(providers) or 'none')}</p>"
        f'{banner}<dl class="totals">{totals}</dl>'
        '<nav aria-label="Sections"><ul><li><a href="#scope">Scope</a></li>'
        '<li><a href="#controls">Controls</a></li><li><a href="#findings">Findings</a></li>'
        "</ul></nav></header>"
    )


# --- scope and gaps ----------------------------------------------------------------------


def _scope_counts(report: ScanReport, provider: str, account: str) -> str:
    mine = [
        f
        for f in report.findings
        if f.resource.provider == provider and f.resource.account == account
    ]
    fail = sum(f.failing for f in mine)
    error = sum(f.status is Status.ERROR for f in mine)
    passed = sum(f.status is Status.PASS for f in mine)
    return f"<td>{fail}</td><td>{error}</td><td>{passed}</td>"


def _scope_section(report: ScanReport) -> str:
    rows = "".join(
        f"<tr><td>{e(s.provider)}</td><td>{e(s.account)}</td><td>{e(s.name)}</td>"
        f"<td>{e(', '.join(s.regions) or '-')}</td>{_scope_counts(report, s.provider, s.account)}"
        "</tr>"
        for s in report.scopes
    )
    scopes = (
        "<table id='scopes'><caption class='visually-hidden'>Scanned scopes</caption><thead>"
        '<tr><th scope="col">Provider</th><th scope="col">Account</th><th scope="col">Name</th>'
        '<th scope="col">Regions</th><th scope="col">Fail</th>'
        '<th scope="col">Not evaluated</th><th scope="col">Pass</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    if report.gaps:
        gap_rows = "".join(
            f"<tr><td>{e(g.provider)}</td><td>{e(g.account)}</td><td>{e(g.region)}</td>"
            f"<td><code>{e(g.operation)}</code></td><td>{e(g.reason.value)}</td>"
            f"<td>{e(', '.join(g.kinds) or 'all')}</td><td>{e(g.detail)}</td></tr>"
            for g in report.gaps
        )
        gaps = (
            f"<h3 id='gaps'>Collection gaps ({len(report.gaps)})</h3>"
            "<p>What could not be collected. Checks that need these entity kinds report "
            "ERROR (not evaluated) for the scope, never PASS.</p>"
            "<table><thead><tr><th scope='col'>Provider</th><th scope='col'>Account</th>"
            "<th scope='col'>Region</th><th scope='col'>Operation</th>"
            "<th scope='col'>Reason</th><th scope='col'>Entity kinds left unknown</th>"
            f"<th scope='col'>Detail</th></tr></thead><tbody>{gap_rows}</tbody></table>"
        )
    else:
        gaps = "<h3 id='gaps'>Collection gaps</h3><p>None: everything was collected.</p>"
    return f'<section id="scope"><h2>Scope</h2>{scopes}{gaps}</section>'


# --- controls ----------------------------------------------------------------------------


def _resource(f: Finding, providers: int) -> str:
    r = f.resource
    where = f"{r.provider} {r.account} {r.region}" if providers > 1 else f"{r.account} {r.region}"
    return (
        f"<strong>{e(r.name or r.id)}</strong> <span class='id'>{e(r.id)}</span> "
        f"({e(where)}): {e(f.message)}"
    )


def _failing(findings: Sequence[Finding], providers: int) -> str:
    if not findings:
        return ""
    by_check: dict[str, list[Finding]] = {}
    for f in findings:
        by_check.setdefault(f.check_id, []).append(f)
    parts = [f"<h4>Failing resources ({len(findings)})</h4>"]
    for check_id, fails in by_check.items():
        worst = max((f.severity for f in fails), key=lambda s: s.rank)
        parts.append(
            f"<h5>{e(fails[0].title)} <code>{e(check_id)}</code> "
            f"<span class='badge'>{e(worst.value)}</span></h5>"
        )
        by_fix: dict[tuple[str, str], list[Finding]] = {}
        for f in fails:
            by_fix.setdefault((f.resource.provider, f.remediation), []).append(f)
        for (provider, fix), group in by_fix.items():
            label = f"Remediation ({provider})" if providers > 1 else "Remediation"
            listed = "".join(f"<li>{_resource(f, providers)}</li>" for f in group[:MAX_LISTED])
            more = (
                f"<li>… and {len(group) - MAX_LISTED} more: see the findings table.</li>"
                if len(group) > MAX_LISTED
                else ""
            )
            parts.append(
                f"<p class='remedy'><strong>{e(label)}:</strong> {e(fix or '-')}</p>"
                f"<ul class='failing'>{listed}{more}</ul>"
            )
    return "".join(parts)


def _not_evaluated(findings: Sequence[Finding], providers: int) -> str:
    if not findings:
        return ""
    listed = "".join(
        f"<li><code>{e(f.check_id)}</code>: {_resource(f, providers)}</li>"
        for f in findings[:MAX_LISTED]
    )
    more = (
        f"<li>… and {len(findings) - MAX_LISTED} more.</li>" if len(findings) > MAX_LISTED else ""
    )
    return f"<h4>Not evaluated ({len(findings)})</h4><ul class='errors'>{listed}{more}</ul>"


def _accepted(findings: Sequence[Finding], providers: int) -> str:
    if not findings:
        return ""
    listed = "".join(
        f"<li><code>{e(f.check_id)}</code>: {_resource(f, providers)}"
        f"{_suppression_note(finding_record(f))}</li>"
        for f in findings[:MAX_LISTED]
    )
    more = (
        f"<li>… and {len(findings) - MAX_LISTED} more.</li>" if len(findings) > MAX_LISTED else ""
    )
    return (
        f"<h4>Suppressed failures ({len(findings)})</h4><p>Accepted by a suppressions file: "
        f"not counted as failing, listed for the auditor.</p><ul class='errors'>{listed}{more}</ul>"
    )


def _suppression_note(rec: Mapping[str, Any]) -> str:
    entry = rec.get("suppression")
    return f" <em>(suppressed: {e(_plain(entry))})</em>" if entry else ""


def _count(field: str, label: str, value: object) -> str:
    return f'<div><dt>{e(label)}</dt><dd data-field="{e(field)}">{e(value)}</dd></div>'


def _control_card(summary: ControlSummary, findings: Sequence[Finding], providers: int) -> str:
    rec = control_record(summary)
    control = CONTROLS.get(summary.control_id)
    mine = [f for f in findings if summary.control_id in f.controls]
    verdict = str(rec["verdict"])
    label = _VERDICT_LABEL.get(verdict, verdict)
    if summary.failed and summary.errors:
        label += " (incomplete)"
    total = summary.passed + summary.failed + summary.suppressed + summary.errors
    counts = [
        _count("passed", "Pass", rec["passed"]),
        _count("failed", "Fail", rec["failed"]),
        _count("errors", "Not evaluated", rec["errors"]),
        _count("coverage", "Coverage", f"{summary.coverage:.0%}" if total else "-"),
    ]
    counts += [
        _count(key, key.replace("_", " ").capitalize(), _plain(value))
        for key, value in rec.items()
        if key not in _CONTROL_KEYS and value
    ]
    objective = f"<p>{e(control.objective)}</p>" if control else ""
    automated = (
        "<h4>Checked by cldscan</h4><ul>"
        + "".join(f"<li>{e(a)}</li>" for a in control.automated)
        + "</ul>"
        if control and control.automated
        else ""
    )
    checks = ", ".join(f"<code>{e(c)}</code>" for c in rec["checks"]) or "none selected"
    manual = "".join(f"<li>{e(m)}</li>" for m in rec["manual"])
    uncovered = "".join(
        f"<li>{e(provider)}: " + ", ".join(f"<code>{e(c)}</code>" for c in ids) + "</li>"
        for provider, ids in rec["not_covered"].items()
    )
    if uncovered:
        uncovered = (
            '<div class="uncovered"><h4>Checks with no instance for a scanned provider '
            f"(not judged there)</h4><ul>{uncovered}</ul></div>"
        )
    cid = e(summary.control_id)
    return (
        f'<article class="card c-{e(verdict)}" id="control-{cid}" data-control="{cid}" '
        f'aria-labelledby="control-{cid}-h">'
        f'<h3 id="control-{cid}-h">{cid} {e(summary.title)}</h3>'
        f'<p class="verdict">Verdict: <span class="badge v-{e(verdict)}" data-field="verdict">'
        f"{e(label)}</span></p>"
        f'<dl class="counts">{"".join(counts)}</dl>{objective}{automated}'
        f"<p>Checks: {checks}</p>{uncovered}"
        '<div class="manual"><h4>Not evaluated by cldscan: the manual parts</h4>'
        f"<ul>{manual}</ul></div>"
        + _failing([f for f in mine if f.failing], providers)
        + _accepted([f for f in mine if accepted(f)], providers)
        + _not_evaluated([f for f in mine if f.status is Status.ERROR], providers)
        + "</article>"
    )


def _controls_section(report: ScanReport, findings: Sequence[Finding]) -> str:
    summaries = report.control_summaries()
    providers = len({f.resource.provider for f in findings} | {s.provider for s in report.scopes})
    cards = "".join(_control_card(s, findings, providers) for s in summaries)
    charts = (
        '<div class="charts">'
        f"<figure><figcaption>Results per control</figcaption>{control_bars(summaries)}"
        "</figure>"
        f"<figure><figcaption>Failures by severity</figcaption>{severity_donut(findings)}"
        "</figure></div>"
    )
    return (
        f'<section id="controls"><h2>Controls ({e(FRAMEWORK.short_name)})</h2>{charts}'
        f'<div class="cards">{cards}</div></section>'
    )


# --- findings table ----------------------------------------------------------------------


def _details(rec: Mapping[str, Any]) -> str:
    items = [
        ("Finding id", f"<code>{e(rec['finding_id'])}</code>"),
        ("Resource kind", e(rec["resource"]["kind"])),
        ("Remediation", e(rec["remediation"] or "-")),
        ("References", e(", ".join(rec["references"]) or "-")),
        (
            "Evidence",
            "<pre>" + e(json.dumps(rec["evidence"], indent=1, ensure_ascii=False)) + "</pre>",
        ),
    ]
    items += [
        (key.replace("_", " ").capitalize(), e(_plain(value)))
        for key, value in rec.items()
        if key not in _RECORD_KEYS and value
    ]
    body = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in items)
    return f"<details><summary>details</summary><dl>{body}</dl></details>"


def _row(n: int, rec: Mapping[str, Any], lifecycle: bool) -> str:
    r = rec["resource"]
    status = str(rec["status"])
    severity = Severity(rec["severity"])
    badge = f'<span class="badge s-{e(status)}">{e(_STATUS_LABEL.get(status, status))}</span>'
    if rec.get("suppressed") or rec.get("suppression"):
        badge += ' <span class="badge sup">suppressed</span>'
    life = ""
    if lifecycle:
        first = rec.get("first_seen")
        seen = f"<br><small>since {e(_plain(first))}</small>" if first else ""
        life = f"<td>{e(rec.get('lifecycle') or '')}{seen}</td>"
    controls = " ".join(rec["controls"])
    return (
        f'<tr data-order="{n}" data-status="{e(status)}" data-severity="{e(severity.value)}" '
        f'data-provider="{e(r["provider"])}" data-controls="{e(controls)}">'
        f'<td data-sort="{_STATUS_ORDER.get(status, 9)}">{badge}</td>'
        f'<td data-sort="{severity.rank}">{e(severity.value)}</td>'
        f'<td data-sort="{e(rec["check_id"])}"><code>{_breakable(rec["check_id"])}</code><br>'
        f"{e(rec['title'])}</td>"
        f"<td>{e(controls)}</td><td>{e(r['provider'])}</td>"
        f'<td data-sort="{e(r["account"])} {e(r["region"])}">{e(r["account"])}<br>'
        f"{e(r['region'])}</td>"
        f'<td data-sort="{e(r["name"] or r["id"])}">{e(r["name"] or r["id"])}<br>'
        f"<span class='id'>{e(r['id'])}</span></td>"
        f"<td>{e(rec['message'])}{_details(rec)}</td>{life}</tr>"
    )


def _select(name: str, label: str, options: Iterable[str]) -> str:
    opts = "".join(f'<option value="{e(o)}">{e(o)}</option>' for o in options)
    return (
        f'<label for="f-{name}">{e(label)}<select id="f-{name}">'
        f'<option value="">all</option>{opts}</select></label>'
    )


def _findings_section(report: ScanReport, findings: Sequence[Finding]) -> str:
    records = [finding_record(f) for f in findings]
    lifecycle = any(rec.get("lifecycle") or rec.get("first_seen") for rec in records)
    heads = ["Status", "Severity", "Check", "Controls", "Provider", "Account / region"]
    heads += ["Resource", "Message"] + (["Lifecycle"] if lifecycle else [])
    head = "".join(f'<th scope="col">{h}</th>' for h in heads)
    rows = "".join(_row(n, rec, lifecycle) for n, rec in enumerate(records))
    providers = sorted(
        {f.resource.provider for f in findings} | {s.provider for s in report.scopes}
    )
    filters = (
        '<form id="filters" hidden role="search" aria-label="Filter findings">'
        '<label for="f-text">Search<input id="f-text" type="search" '
        'placeholder="resource, check, message…"></label>'
        + _select("status", "Status", [s.value for s in Status])
        + _select(
            "severity", "Severity", [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
        )
        + _select("control", "Control", CONTROLS)
        + _select("provider", "Provider", providers)
        + "</form>"
    )
    return (
        f'<section id="findings"><h2>Findings ({len(findings)})</h2>'
        "<p>Worst first. Click a column header to sort; the filters need scripts enabled, "
        "the table does not.</p>"
        f'{filters}<p id="shown" hidden aria-live="polite"></p>'
        '<table id="findings-table"><caption class="visually-hidden">Every finding'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def document(report: ScanReport, *, now: datetime | None = None) -> str:
    """The whole page as one string."""
    now = now or datetime.now(UTC)
    findings = sorted(report.findings, key=sort_key)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">'
        '<link rel="icon" href="data:,">'
        f"<title>cldscan audit report · {e(FRAMEWORK.name)}</title>"
        f"<style>{CSS}</style></head><body>"
        + _header(report, now)
        + "<main>"
        + _scope_section(report)
        + _controls_section(report, findings)
        + _findings_section(report, findings)
        + "</main><footer>Generated by cldscan "
        f"{e(__version__)}. ERROR means not evaluated, never passed. The manual parts of "
        "each control need evidence from outside the cloud configuration.</footer>"
        f"<script>{JS}</script></body></html>\n"
    )


def render(report: ScanReport, stream: TextIO, *, now: datetime | None = None) -> None:
    stream.write(document(report, now=now))
