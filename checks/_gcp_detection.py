"""GCP threat detection: Security Command Center Event Threat Detection in force for the
project. It is project-wide (region ``global``), so the result is about the project."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks._common import in_scope, unseen
from scanner.inventory import GLOBAL, Inventory, SecurityService
from scanner.results import Result


def judge_event_threat_detection(inv: Inventory) -> Iterator[Result]:
    services = [
        s
        for s in inv.of(SecurityService)
        if s.provider == "gcp" and s.service_kind == "threat_detection"
    ]
    for scope in (s for s in inv.scopes if s.provider == "gcp"):
        ref = scope.account_ref()
        mine = [s for s in services if in_scope(s, scope)]
        states = [s.enabled for s in mine]
        evidence: dict[str, Any] = {
            "threat_detection": {s.id: {"enabled": s.enabled, **s.features} for s in mine}
        }
        where = f"project {scope.account}"
        if True in states:
            yield Result.passed(
                ref, f"{where} has Security Command Center Event Threat Detection on", **evidence
            )
        elif None in states:
            yield Result.error(
                ref,
                f"{where}: the state of Event Threat Detection was not reported",
                **evidence,
            )
        elif unseen(inv, "gcp", scope.account, GLOBAL, (SecurityService.kind,)):
            continue
        else:
            yield Result.failed(
                ref,
                f"{where} does not have Security Command Center Event Threat Detection on: "
                "nothing watches its logs for known attack patterns",
                **evidence,
            )
