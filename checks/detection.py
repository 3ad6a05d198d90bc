"""Managed threat detection switched on in every scanned region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks._common import in_scope, of_providers, scanned_regions, unseen
from scanner.inventory import Inventory, SecurityService
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)


@check(
    id="any.detector.threat_detection",
    title="Threat detection is enabled in every region",
    severity=Severity.HIGH,
    controls=("CLD.12.4.5",),
    providers=PROVIDERS,
    needs=(SecurityService,),
    rationale=(
        "A managed detector watches the audit, DNS and flow records for known attack "
        "patterns (credential theft, crypto-mining, reconnaissance) that nobody reviews by "
        "hand; a region without one is where an attacker works unseen."
    ),
    remediation=(
        "Enable GuardDuty in every region: `aws guardduty create-detector --enable "
        "--region <region>` (or delegate an administrator account in AWS Organizations and "
        "auto-enable members)."
    ),
    references=(
        "CIS AWS 3.0 4.16",
        "prowler:guardduty_is_enabled",
        "prowler:securityhub_enabled",
    ),
)
def threat_detection(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    detectors = [
        s
        for s in of_providers(inv, SecurityService, PROVIDERS)
        if s.service_kind == "threat_detection"
    ]
    for scope, region in scanned_regions(inv, PROVIDERS):
        ref = scope.region_ref(region)
        mine = [d for d in detectors if in_scope(d, scope, region)]
        evidence: dict[str, Any] = {"detectors": {d.id: d.enabled for d in mine}}
        where = f"{scope.account}/{region}"
        states = [d.enabled for d in mine]
        if True in states:
            yield Result.passed(ref, f"threat detection is enabled in {where}", **evidence)
        elif None in states:
            yield Result.error(
                ref, f"{where}: the threat detector's status was not reported", **evidence
            )
        elif unseen(inv, scope.provider, scope.account, region, (SecurityService.kind,)):
            continue
        elif mine:
            yield Result.failed(ref, f"the threat detector in {where} is suspended", **evidence)
        else:
            yield Result.failed(ref, f"no threat detector in {where}", **evidence)
