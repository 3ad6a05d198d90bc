"""Azure instances of the audit-trail integrity and configuration-history checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks._common import gap_cause, in_scope, label, short_id, unseen
from scanner.inventory import GLOBAL, AuditTrail, Inventory, SecurityService
from scanner.results import Result

STORAGE_MARK = "/providers/microsoft.storage/storageaccounts/"
STORAGE_READ = "Microsoft.Storage/storageAccounts/read"
MCSB = "Microsoft cloud security benchmark"


def judge_log_storage(inv: Inventory) -> Iterator[Result]:
    """Each diagnostic setting exporting the activity log to a storage account: that
    account must use a customer-managed key and allow no public blob access. Settings
    exporting only to a Log Analytics workspace or an event hub have no result."""
    for trail in inv.of(AuditTrail):
        if trail.provider != "azure" or STORAGE_MARK not in trail.store_id:
            continue
        account = short_id(trail.store_id)
        evidence: dict[str, Any] = {
            "storage_account": trail.store_id,
            "encrypted_cmk": trail.encrypted_cmk,
            "public_blob_access": trail.store_public,
            "key_id": trail.key_id,
        }
        lacks = []
        if trail.encrypted_cmk is False:
            lacks.append("is encrypted with a Microsoft-managed key, not a customer-managed one")
        if trail.store_public is True:
            lacks.append("allows public access to its blobs")
        where = f"diagnostic setting {label(trail)}: storage account {account}"
        if lacks:
            yield Result.failed(trail, f"{where} {', and '.join(lacks)}", **evidence)
        elif trail.encrypted_cmk is None or trail.store_public is None:
            why = gap_cause(inv, trail, STORAGE_READ)
            unknown = " and ".join(
                what
                for what, value in (
                    ("encryption key source", trail.encrypted_cmk),
                    ("public blob access", trail.store_public),
                )
                if value is None
            )
            cause = f"could not be read ({why})" if why else f"{unknown} not reported"
            yield Result.error(trail, f"{where} {cause}; cannot evaluate", **evidence)
        else:
            yield Result.passed(
                trail,
                f"{where} is encrypted with {trail.key_id or 'a customer-managed key'} and "
                "allows no public blob access",
                **evidence,
            )


def judge_policy_benchmark(inv: Inventory) -> Iterator[Result]:
    """One result per subscription: the benchmark initiative assigned at (or above) it
    with enforcement mode Default and notScopes that do not exclude it."""
    services = [
        s
        for s in inv.of(SecurityService)
        if s.provider == "azure" and s.service_kind == "config_recorder"
    ]
    for scope in (s for s in inv.scopes if s.provider == "azure"):
        ref = scope.account_ref()
        mine = [s for s in services if in_scope(s, scope)]
        assignments = {k: v for s in mine for k, v in s.features.items()}
        evidence: dict[str, Any] = {"benchmark_assignments": assignments}
        where = f"subscription {scope.account}"
        states = [s.enabled for s in mine]
        if True in states:
            partial = any(s.enabled and s.all_resources is False for s in mine)
            yield Result.passed(
                ref,
                f"{where} enforces the {MCSB} initiative through Azure Policy"
                + (" (with excluded resource groups or resources)" if partial else ""),
                **evidence,
            )
        elif None in states:
            yield Result.error(
                ref,
                f"{where}: whether a {MCSB} assignment is enforced for it is unknown (its "
                "enforcement mode was not reported, or its notScopes name a management group "
                "that may contain the subscription)",
                **evidence,
            )
        elif unseen(inv, "azure", scope.account, GLOBAL, ("security_service:config_recorder",)):
            continue
        elif assignments:
            yield Result.failed(
                ref,
                f"{where} has no {MCSB} assignment enforced for it: "
                f"{', '.join(sorted(set(assignments.values())))} (DoNotEnforce evaluates "
                "policies without enforcing them; notScopes that exclude the subscription "
                "take it out)",
                **evidence,
            )
        else:
            yield Result.failed(
                ref, f"{where} has no {MCSB} initiative assigned at subscription scope", **evidence
            )
