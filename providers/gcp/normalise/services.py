"""Project security services: Cloud Asset Inventory (Service Usage) and Security Command
Center Event Threat Detection (securitycentermanagement)."""

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


ETD = "event-threat-detection"
_ENABLEMENT = {"ENABLED": True, "DISABLED": False}


def threat_detection(ctx: Ctx, body: Json | None) -> SecurityService:
    """Security Command Center Event Threat Detection for the project.

    ``effectiveEnablementState`` (what is in force after inheritance from the folder or
    organization) ENABLED / DISABLED; anything else, or absent, unknown. ``body`` is
    ``None`` when the API answered NOT_FOUND: there is no such service for the project
    (Security Command Center not activated), so it is off."""
    if body is None:
        enabled: bool | None = False
        features: dict[str, str] = {"effectiveEnablementState": "NOT_FOUND"}
    else:
        state = str(body.get("effectiveEnablementState", ""))
        enabled = _ENABLEMENT.get(state)
        features = {
            k: str(body[k])
            for k in ("effectiveEnablementState", "intendedEnablementState")
            if k in body
        }
    return SecurityService(
        **ctx.base(
            f"//securitycentermanagement.googleapis.com/projects/{ctx.project}"
            f"/locations/global/securityCenterServices/{ETD}",
            GLOBAL,
            "Event Threat Detection",
        ),
        service_kind="threat_detection",
        enabled=enabled,
        all_resources=enabled,
        features=features,
    )
