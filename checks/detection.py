"""Managed threat detection switched on in every scanned region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks._common import in_scope, of_providers, scanned_regions, scanned_scopes, unseen
from checks._gcp_services import EVENT_THREAT_DETECTION, judge_project_service
from scanner.inventory import GLOBAL, Inventory, SecurityService
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)
AZURE_PLANS = frozenset({"VirtualMachines", "StorageAccounts", "KeyVaults", "Arm"})
"""Defender for Cloud plans every subscription needs (CIS Azure section 3.1: Servers,
Storage, Key Vault, Resource Manager): they protect what every subscription has. Workload
plans (SQL, containers, App Service, Cosmos DB...) depend on resources not collected here
and are reported as evidence only."""


THREAT_DETECTION = "security_service:threat_detection"


@check(
    id="any.detector.threat_detection",
    title="Threat detection is enabled in every region",
    severity=Severity.HIGH,
    controls=("CLD.12.4.5",),
    providers=("aws", "azure", "gcp"),
    needs=(THREAT_DETECTION,),
    rationale=(
        "A managed detector watches the audit, DNS and flow records for known attack "
        "patterns (credential theft, crypto-mining, reconnaissance) that nobody reviews by "
        "hand; a region without one is where an attacker works unseen."
    ),
    remediation={
        "aws": (
            "Enable GuardDuty in every region: `aws guardduty create-detector --enable "
            "--region <region>` (or delegate an administrator account in AWS Organizations and "
            "auto-enable members)."
        ),
        "azure": (
            "Turn on the missing Microsoft Defender for Cloud plans for the subscription: "
            "`az security pricing create -n <plan> --tier Standard` for each of "
            + ", ".join(sorted(AZURE_PLANS))
            + " (Environment settings > Defender plans in the portal)."
        ),
        "gcp": (
            "Activate Security Command Center (Standard or Premium) for the organization or "
            "project, then turn Event Threat Detection on: `gcloud scc manage services update "
            "event-threat-detection --project=<project> --enablement-state=ENABLED`."
        ),
    },
    references=(
        "CIS AWS 3.0 4.16",
        "CIS Azure 2.1 2.1.11",
        "CIS Azure 3.0 3.1.9.1",
        "prowler:guardduty_is_enabled",
        "prowler:securityhub_enabled",
        "prowler:defender_ensure_defender_for_server_is_on",
        "prowler:defender_ensure_defender_for_storage_is_on",
        "prowler:defender_ensure_defender_for_keyvault_is_on",
        "prowler:defender_ensure_defender_for_arm_is_on",
    ),
)
def threat_detection(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    detectors = [
        s
        for s in of_providers(inv, SecurityService, PROVIDERS)
        if s.service_kind == "threat_detection"
    ]
    yield from _azure_defender(inv)
    yield from judge_project_service(inv, EVENT_THREAT_DETECTION)
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
        elif unseen(inv, scope.provider, scope.account, region, (THREAT_DETECTION,)):
            continue
        elif mine:
            yield Result.failed(ref, f"the threat detector in {where} is suspended", **evidence)
        else:
            yield Result.failed(ref, f"no threat detector in {where}", **evidence)


def _azure_defender(inv: Inventory) -> Iterator[Result]:
    """Azure: Defender plans are per subscription; each required plan's tier is Standard."""
    pricings = [
        s
        for s in of_providers(inv, SecurityService, ("azure",))
        if s.service_kind == "threat_detection"
    ]
    for scope in scanned_scopes(inv, ("azure",)):
        ref = scope.account_ref()
        mine = [p for p in pricings if in_scope(p, scope)]
        tiers = {k.lower(): v for p in mine for k, v in p.features.items()}
        required = sorted(AZURE_PLANS)
        off = [p for p in required if tiers.get(p.lower(), "").lower() not in ("", "standard")]
        unknown = [p for p in required if not tiers.get(p.lower())]
        evidence: dict[str, Any] = {
            "required_plans": required,
            "plans": {k: v for p in mine for k, v in p.features.items()},
            "plans_off": off,
        }
        where = f"subscription {scope.account}"
        if off:
            yield Result.failed(
                ref, f"{where}: Defender plans not on: {', '.join(off)}", **evidence
            )
        elif mine and unknown:
            yield Result.error(
                ref,
                f"{where}: the tier of Defender plan(s) {', '.join(unknown)} was not reported",
                **evidence,
            )
        elif mine:
            yield Result.passed(
                ref, f"{where}: Defender plans {', '.join(required)} are on", **evidence
            )
        elif not unseen(inv, scope.provider, scope.account, GLOBAL, (THREAT_DETECTION,)):
            yield Result.failed(
                ref, f"{where}: no Defender for Cloud plans were reported", **evidence
            )
