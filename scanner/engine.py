"""Run checks over an inventory, turn gaps into ERROR results, attach control metadata.

The rule that matters most lives here: where a gap left an entity kind a check needs
unknown, that scope gets an ERROR result and any PASS the check produced there is
withdrawn. A FAIL is kept: what was seen to be wrong stays wrong.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from scanner.controls import CONTROLS
from scanner.inventory import GLOBAL, Gap, Inventory, ResourceRef, ScanScope
from scanner.registry import Check, CheckConfig
from scanner.results import Finding, Result, Severity, Status, Suppression, finding_id

log = structlog.get_logger(__name__)

NEUTRAL_PREFIX = "any."
"""Checks meant for every provider; one that lacks a scanned provider is reported as not
covering it (provider-specific checks such as ``aws.*`` are not)."""


@dataclass(frozen=True)
class ControlSummary:
    control_id: str
    title: str
    passed: int
    failed: int
    errors: int
    checks: tuple[str, ...]
    manual: tuple[str, ...]
    suppressed: int = 0
    """Suppressed FAILs: shown and counted here, but not in ``failed`` nor the verdict."""
    uncovered: tuple[tuple[str, str], ...] = ()
    """(provider, check id): selected neutral checks of this control with no instance for
    a scanned provider. The verdict covers what was checked; these say what was not."""

    @property
    def verdict(self) -> str:
        """``fail``, ``incomplete`` (nothing failed but something was not evaluated),
        ``pass`` (everything evaluated, nothing failing: suppressed FAILs are accepted
        risks, counted in ``suppressed``) or ``not_evaluated`` (no check of this control
        ran)."""
        if self.failed:
            return "fail"
        if self.errors:
            return "incomplete"
        if self.passed or self.suppressed:
            return "pass"
        return "not_evaluated"

    @property
    def complete(self) -> bool:
        """Whether every result of this control was evaluated (no ERROR)."""
        return not self.errors

    @property
    def coverage(self) -> float:
        """Share of this control's results that were evaluated (not ERROR)."""
        evaluated = self.passed + self.failed + self.suppressed
        total = evaluated + self.errors
        return evaluated / total if total else 0.0


@dataclass(frozen=True)
class ScanReport:
    findings: tuple[Finding, ...]
    checks: tuple[Check, ...]
    scopes: tuple[ScanScope, ...]
    gaps: tuple[Gap, ...]
    tool_version: str = ""
    collected_at: datetime | None = None
    """When the inventory was collected (from the inventory or its snapshot)."""
    expired_suppressions: tuple[Suppression, ...] = ()
    """Suppression entries past their expiry date: they no longer applied."""
    unused_suppressions: tuple[Suppression, ...] = ()
    """Suppression entries that matched no FAIL finding."""
    uncovered: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """(provider, check id, controls): selected checks with no instance for a scanned
    provider."""
    _summary: list[ControlSummary] = field(default_factory=list, compare=False, repr=False)

    @property
    def complete(self) -> bool:
        return not any(f.status is Status.ERROR for f in self.findings)

    def failing(self, threshold: Severity | None) -> list[Finding]:
        if threshold is None:
            return []
        return [f for f in self.findings if f.failing and f.severity.at_least(threshold)]

    def control_summaries(self) -> list[ControlSummary]:
        if not self._summary:
            self._summary.extend(_summarise(self.findings, self.checks, self.uncovered))
        return self._summary


def _summarise(
    findings: Sequence[Finding],
    checks: Sequence[Check],
    uncovered: Sequence[tuple[str, str, tuple[str, ...]]] = (),
) -> list[ControlSummary]:
    summaries = []
    for control in CONTROLS.values():
        mine = [f for f in findings if control.id in f.controls]
        summaries.append(
            ControlSummary(
                control_id=control.id,
                title=control.title,
                passed=sum(f.status is Status.PASS for f in mine),
                failed=sum(f.failing for f in mine),
                errors=sum(f.status is Status.ERROR for f in mine),
                checks=tuple(c.id for c in checks if control.id in c.controls),
                manual=control.manual,
                suppressed=sum(f.status is Status.FAIL and f.suppressed for f in mine),
                uncovered=tuple(
                    (provider, check_id)
                    for provider, check_id, controls in uncovered
                    if control.id in controls
                ),
            )
        )
    return summaries


def scope_ref(provider: str, account: str, region: str) -> ResourceRef:
    """What a gap's ERROR finding is about: the coverage of one scope, not a resource.

    Its id never equals a resource's, so an ERROR for a scope and a FAIL for a resource
    in it (the region's own settings, say) are two findings with two ids.
    """
    name = f"{account} (every region)" if region == GLOBAL else f"{account} {region}"
    return ResourceRef(
        f"scope:{provider}:{account}:{region}", "scope", provider, account, region, name
    )


def _gap_results(gaps: Iterable[Gap]) -> list[Result]:
    by_scope: dict[tuple[str, str, str], list[Gap]] = {}
    for gap in gaps:
        by_scope.setdefault((gap.provider, gap.account, gap.region), []).append(gap)
    results = []
    for (provider, account, region), scoped in by_scope.items():
        reasons = "; ".join(
            f"{g.operation}: {g.reason.value}" + (f" ({g.detail})" if g.detail else "")
            for g in scoped
        )
        where = "every region" if region == GLOBAL else region
        results.append(
            Result.error(
                scope_ref(provider, account, region),
                f"not evaluated in {where} of {account}: {reasons}",
                gaps=[
                    {"operation": g.operation, "reason": g.reason.value, "detail": g.detail}
                    for g in scoped
                ],
            )
        )
    return results


def _crash_results(inv: Inventory, check: Check, exc: Exception) -> list[Result]:
    return [
        Result.error(
            scope.account_ref(),
            f"check raised {type(exc).__name__}: {exc}; please report this as a cldscan bug",
        )
        for scope in inv.scopes
        if scope.provider in check.providers
    ]


def run_check(check: Check, inv: Inventory, cfg: CheckConfig) -> list[Result]:
    """One check's results, with the gap rule applied."""
    gaps = [g for g in inv.gaps if g.provider in check.providers and g.affects(check.needed_kinds)]
    try:
        results = check.run(inv, cfg)
    except Exception as exc:
        log.error(
            "check_crashed",
            check=check.id,
            error=str(exc),
            traceback=traceback.format_exc(),
        )
        return _crash_results(inv, check, exc) + _gap_results(gaps)

    def unseen(result: Result) -> bool:
        r = result.resource
        return any(g in gaps for g in inv.gaps_for(r.provider, r.account, r.region))

    kept = [r for r in results if not (r.status is Status.PASS and unseen(r))]
    return kept + _gap_results(gaps)


def to_finding(check: Check, result: Result) -> Finding:
    return Finding(
        finding_id=finding_id(check.id, result.resource.id),
        check_id=check.id,
        title=check.title,
        status=result.status,
        severity=result.severity or check.severity,
        controls=check.controls,
        resource=result.resource,
        message=result.message,
        evidence=result.evidence,
        remediation=check.remediation_for(result.resource.provider),
        references=check.references,
    )


def evaluate(
    inv: Inventory,
    checks: Sequence[Check],
    cfg: CheckConfig | None = None,
    *,
    min_severity: Severity | None = None,
) -> ScanReport:
    """Run ``checks`` that apply to the inventory's providers and collect their findings."""
    cfg = cfg or CheckConfig()
    providers = {s.provider for s in inv.scopes}
    applicable = tuple(c for c in checks if providers & set(c.providers))
    findings: list[Finding] = []
    for check in applicable:
        for result in run_check(check, inv, cfg):
            finding = to_finding(check, result)
            if finding.shown_at(min_severity):
                findings.append(finding)
    findings.sort(key=lambda f: (f.check_id, f.resource.account, f.resource.region, f.resource.id))
    return ScanReport(
        findings=tuple(findings),
        checks=applicable,
        scopes=inv.scopes,
        gaps=inv.gaps,
        tool_version=inv.tool_version,
        collected_at=inv.collected_at,
        uncovered=tuple(
            (provider, c.id, c.controls)
            for provider in sorted(providers)
            for c in checks
            if c.id.startswith(NEUTRAL_PREFIX) and provider not in c.providers
        ),
    )
