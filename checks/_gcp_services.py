"""GCP services judged once per project (Cloud Asset Inventory, Event Threat Detection):
project-wide, so each result is about the project, not a region."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from checks._common import in_scope, unseen
from scanner.inventory import GLOBAL, Inventory, SecurityService
from scanner.results import Result


@dataclass(frozen=True)
class ProjectService:
    service_kind: str
    """``SecurityService.service_kind`` the provider records for it."""
    on: str
    """What a PASS says the project has."""
    unknown: str
    """What was not reported, for the ERROR."""
    off: str
    """What a FAIL says the project lacks, and why it matters."""


ASSET_INVENTORY = ProjectService(
    "asset_inventory",
    "has Cloud Asset Inventory enabled (configuration history of every supported resource)",
    "the state of the Cloud Asset API",
    "does not have Cloud Asset Inventory (cloudasset.googleapis.com) enabled: no "
    "configuration history is kept",
)
EVENT_THREAT_DETECTION = ProjectService(
    "threat_detection",
    "has Security Command Center Event Threat Detection on",
    "the state of Event Threat Detection",
    "does not have Security Command Center Event Threat Detection on: nothing watches its "
    "logs for known attack patterns",
)


def judge_project_service(inv: Inventory, service: ProjectService) -> Iterator[Result]:
    """PASS when the service is on in the project, FAIL when reported off, ERROR when its
    state was not reported; silent where a gap hides it (the engine reports the gap)."""
    kind = f"{SecurityService.kind}:{service.service_kind}"
    services = [
        s
        for s in inv.of(SecurityService)
        if s.provider == "gcp" and s.service_kind == service.service_kind
    ]
    for scope in (s for s in inv.scopes if s.provider == "gcp"):
        ref = scope.account_ref()
        mine = [s for s in services if in_scope(s, scope)]
        states = [s.enabled for s in mine]
        evidence: dict[str, Any] = {
            service.service_kind: {s.id: {"enabled": s.enabled, **s.features} for s in mine}
        }
        where = f"project {scope.account}"
        if True in states:
            yield Result.passed(ref, f"{where} {service.on}", **evidence)
        elif None in states:
            yield Result.error(ref, f"{where}: {service.unknown} was not reported", **evidence)
        elif unseen(inv, "gcp", scope.account, GLOBAL, (kind,)):
            continue
        else:
            yield Result.failed(ref, f"{where} {service.off}", **evidence)
