"""Azure provider: azure-mgmt-* collection into the neutral inventory."""

from __future__ import annotations

from providers.azure.options import AzureOptions
from providers.base import Progress
from scanner.inventory import Inventory


def collect(options: AzureOptions, progress: Progress | None = None) -> Inventory:
    """Collect the subscriptions in scope (all visible ones by default) into an inventory."""
    from providers.azure.scan import collect_subscriptions

    return collect_subscriptions(options, progress)


__all__ = ["AzureOptions", "collect"]
