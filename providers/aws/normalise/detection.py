"""GuardDuty detectors, Config recorders and per-region EC2 account settings."""

from __future__ import annotations

from collections.abc import Sequence

from providers.aws.arns import Ctx
from providers.aws.normalise.common import Raw, opt_bool
from scanner.inventory import RegionSettings, SecurityService

PROVIDER = "aws"


def detector(detector_id: str, raw: Raw, ctx: Ctx) -> SecurityService:
    features = {str(f.get("Name")): str(f.get("Status", "")) for f in raw.get("Features") or ()}
    status = raw.get("Status")
    return SecurityService(
        id=ctx.regional("guardduty", f"detector/{detector_id}"),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=detector_id,
        tags={str(k): str(v) for k, v in (raw.get("Tags") or {}).items()},
        service_kind="threat_detection",
        enabled=(status == "ENABLED") if status else None,
        features=features,
    )


def config_recorders(
    recorders: Sequence[Raw], statuses: Sequence[Raw] | None, ctx: Ctx
) -> list[SecurityService]:
    """Recorders with their status; ``statuses`` is ``None`` when it could not be read."""
    recording = {str(s.get("name")): opt_bool(s, "recording") for s in statuses or ()}
    out = []
    for rec in recorders:
        name = str(rec.get("name", "default"))
        group = rec.get("recordingGroup") or {}
        out.append(
            SecurityService(
                id=ctx.regional("config", f"config-recorder/{name}"),
                provider=PROVIDER,
                account=ctx.account,
                region=ctx.region,
                name=name,
                service_kind="config_recorder",
                enabled=recording.get(name) if statuses is not None else None,
                all_resources=opt_bool(group, "allSupported"),
            )
        )
    return out


def region_settings(
    ctx: Ctx,
    encryption_by_default: bool | None,
    default_key: str | None,
    serial_console: bool | None,
) -> RegionSettings:
    return RegionSettings(
        id=f"aws:{ctx.account}:{ctx.region}",
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=ctx.region,
        disk_encryption_by_default=encryption_by_default,
        default_disk_key_id=default_key,
        serial_console_access=serial_console,
        # GetInstanceMetadataDefaults would fill metadata_v2_default, but moto 5.2.5 does not
        # implement it, so it is not called and the field stays unknown.
        metadata_v2_default=None,
    )
