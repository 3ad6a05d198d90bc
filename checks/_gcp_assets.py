"""GCP's configuration history: Cloud Asset Inventory enabled in the project (CIS GCP 2.13).
It is project-wide, so the result is about the project, not each region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks._common import in_scope, unseen
from scanner.inventory import GLOBAL, Inventory, SecurityService
from scanner.results import Result


def judge_asset_inventory(inv: Inventory) -> Iterator[Result]:
    services = [
        s
        for s in inv.of(SecurityService)
        if s.provider == "gcp" and s.service_kind == "asset_inventory"
    ]
    for scope in (s for s in inv.scopes if s.provider == "gcp"):
        ref = scope.account_ref()
        mine = [s for s in services if in_scope(s, scope)]
        states = [s.enabled for s in mine]
        evidence: dict[str, Any] = {"asset_inventory": {s.id: {"enabled": s.enabled} for s in mine}}
        where = f"project {scope.account}"
        if True in states:
            yield Result.passed(
                ref,
                f"{where} has Cloud Asset Inventory enabled (configuration history of every "
                "supported resource)",
                **evidence,
            )
        elif None in states:
            yield Result.error(
                ref, f"{where}: the state of the Cloud Asset API was not reported", **evidence
            )
        elif unseen(inv, "gcp", scope.account, GLOBAL, (SecurityService.kind,)):
            continue
        else:
            yield Result.failed(
                ref,
                f"{where} does not have Cloud Asset Inventory (cloudasset.googleapis.com) "
                "enabled: no configuration history is kept",
                **evidence,
            )
