"""What a GCP IAM finding may claim: cldscan reads each scanned project's own IAM policy,
not the folder or organization policies above it (docs/gcp-checks.md)."""

from __future__ import annotations

from typing import Any

from scanner.inventory import Inventory

NOT_READ = "project-level IAM only; folder and organization policies are not read"


def projects_read(inv: Inventory) -> list[str]:
    return sorted({s.account for s in inv.scopes if s.provider == "gcp"})


def where(inv: Inventory, project: str) -> str:
    """`` in project P (…)`` for a message about the rights a principal holds."""
    others = len([p for p in projects_read(inv) if p != project])
    also = f" or {others} other scanned project(s)" if others else ""
    return f" in project {project}{also} ({NOT_READ})"


def evidence(inv: Inventory) -> dict[str, Any]:
    return {
        "iam_policies_read": [f"projects/{p}" for p in projects_read(inv)],
        "inherited_bindings_read": False,
    }
