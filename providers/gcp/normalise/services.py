"""Service Usage: whether Cloud Asset Inventory (the configuration history) is enabled."""

from __future__ import annotations

from providers.gcp.normalise.common import Ctx, Json
from scanner.inventory import GLOBAL, SecurityService

ASSET_API = "cloudasset.googleapis.com"


def asset_inventory(ctx: Ctx, body: Json) -> SecurityService:
    """``state`` ENABLED / DISABLED; anything else (absent, STATE_UNSPECIFIED) unknown.
    Once enabled, Cloud Asset Inventory keeps the history of every supported resource type."""
    state = body.get("state")
    enabled = {"ENABLED": True, "DISABLED": False}.get(str(state))
    return SecurityService(
        **ctx.base(
            f"//serviceusage.googleapis.com/projects/{ctx.project}/services/{ASSET_API}",
            GLOBAL,
            "Cloud Asset Inventory",
        ),
        service_kind="asset_inventory",
        enabled=enabled,
        all_resources=enabled,
    )
