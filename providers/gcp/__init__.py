"""GCP provider: Google Cloud REST APIs into the neutral inventory."""

from __future__ import annotations

from providers.base import Progress
from providers.gcp.options import GcpOptions
from scanner.inventory import Inventory


def collect(options: GcpOptions, progress: Progress | None = None) -> Inventory:
    """Collect the projects ``options`` name (or every project the credentials find)."""
    from providers.gcp.scan import collect_projects

    return collect_projects(options, progress)


__all__ = ["GcpOptions", "collect"]
