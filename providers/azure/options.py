"""Options of an Azure scan, as the CLI passes them to the provider."""

from __future__ import annotations

from dataclasses import dataclass

CLOUDS = ("public", "china", "usgov")


@dataclass(frozen=True)
class AzureOptions:
    tenant: str | None = None
    """Tenant to request tokens for; ``None`` keeps the credential's own (AZURE_TENANT_ID)."""
    subscriptions: tuple[str, ...] = ()
    """Subscriptions to scan; empty means every subscription the identity can see."""
    cloud: str = "public"
    """``public``, ``china`` or ``usgov`` (CLDSCAN_AZURE_ARM_ENDPOINT and
    AZURE_AUTHORITY_HOST override the endpoints it picks)."""
    max_workers: int = 8
    max_retries: int = 3
    """Retries per ARM call after the first attempt (azure-core honours Retry-After)."""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
