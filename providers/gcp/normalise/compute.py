"""Compute Engine instances, disks and images."""

from __future__ import annotations

from collections.abc import Mapping

from providers.gcp.normalise.common import (
    Ctx,
    Json,
    location_region,
    metadata_items,
    parse_bool,
    parse_time,
)
from scanner.inventory import GLOBAL, ComputeInstance, Disk, LoginSettings, MachineImage

PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
DEPRECATED_STATES = frozenset({"DEPRECATED", "OBSOLETE", "DELETED"})


def effective_flag(
    key: str, instance: Mapping[str, str], project: Mapping[str, str] | None
) -> bool | None:
    """Instance metadata overrides the project's; neither set means off (Google's default).

    Values parse like the guest agent's (``parse_bool``); an instance value it cannot parse
    is ignored in favour of the project's, as the agent does. A value set but unparseable
    where it decides is ``None``, never off. ``project`` is ``None`` when the project's
    metadata could not be read: then only a valid value on the instance itself is known.
    """
    own = parse_bool(instance.get(key))
    if own is not None:
        return own
    if project is None:
        return None
    if key in project:
        return parse_bool(project[key])
    return None if key in instance else False


def login_settings(item: Json, project_meta: Mapping[str, str] | None) -> LoginSettings:
    meta = metadata_items(item.get("metadata"))
    return LoginSettings(
        password_auth=None,
        central_login=effective_flag("enable-oslogin", meta, project_meta),
        # Only an instance can block project-wide keys; absent means not blocked.
        project_keys_blocked=parse_bool(meta.get("block-project-ssh-keys", "false")),
        serial_console=effective_flag("serial-port-enable", meta, project_meta),
    )


def disk_boot_mode(item: Json) -> str:
    """``uefi`` for a disk whose guest OS features include UEFI_COMPATIBLE, else ``bios``
    (an image without that feature boots with BIOS)."""
    features = {str(f.get("type")) for f in item.get("guestOsFeatures") or []}
    return "uefi" if "UEFI_COMPATIBLE" in features else "bios"


def boot_disk(item: Json) -> str | None:
    """selfLink of the instance's boot disk."""
    for disk in item.get("disks") or []:
        if disk.get("boot") and disk.get("source"):
            return str(disk["source"])
    return None


def instance(ctx: Ctx, item: Json, project_meta: Mapping[str, str] | None) -> ComputeInstance:
    nics = item.get("networkInterfaces") or []
    public: list[str] = []
    for nic in nics:
        public += [str(a["natIP"]) for a in nic.get("accessConfigs") or [] if a.get("natIP")]
        public += [
            str(a["externalIpv6"])
            for a in nic.get("ipv6AccessConfigs") or []
            if a.get("externalIpv6")
        ]
    first = nics[0] if nics else {}
    sas = item.get("serviceAccounts") or []
    shielded = item.get("shieldedInstanceConfig")

    def shield(key: str) -> bool | None:
        # Inside a reported config an absent flag is false (proto3 JSON omits false).
        return bool(shielded.get(key, False)) if isinstance(shielded, Mapping) else None

    networks = [str(n["network"]) for n in nics if n.get("network")]
    return ComputeInstance(
        **ctx.base(
            item["selfLink"], location_region(item), item.get("name", ""), item.get("labels")
        ),
        state=str(item.get("status", "")).lower(),
        image_ref=None,
        network_id=first.get("network"),
        subnet_id=first.get("subnetwork"),
        firewall_set_ids=tuple(dict.fromkeys(f"{n}/firewalls" for n in networks)),
        public_ips=tuple(dict.fromkeys(public)),
        identity_ref=sas[0].get("email") if sas else None,
        identity_scopes=tuple(sas[0].get("scopes") or ()) if sas else (),
        secure_boot=shield("enableSecureBoot"),
        vtpm=shield("enableVtpm"),
        integrity_monitoring=shield("enableIntegrityMonitoring"),
        login=login_settings(item, project_meta),
        # canIpForward absent means false (documented default of the instance resource).
        ip_forwarding=bool(item.get("canIpForward", False)),
        launched_at=parse_time(item.get("lastStartTimestamp") or item.get("creationTimestamp")),
        network_tags=tuple((item.get("tags") or {}).get("items") or ()),
    )


def disk(ctx: Ctx, item: Json) -> Disk:
    key = item.get("diskEncryptionKey") or {}
    if key.get("kmsKeyName"):
        key_type = "customer"
    elif any(k in key for k in ("sha256", "rawKey", "rsaEncryptedKey")):
        key_type = "supplied"
    else:
        key_type = "provider"
    size = item.get("sizeGb")
    return Disk(
        **ctx.base(
            item["selfLink"], location_region(item), item.get("name", ""), item.get("labels")
        ),
        attached_to=tuple(item.get("users") or ()),
        encrypted=True,  # Compute Engine encrypts every disk at rest.
        key_type=key_type,
        key_id=key.get("kmsKeyName"),
        public_access=None,
        size_gb=int(size) if size is not None else None,
    )


def image(ctx: Ctx, item: Json, policy: Json | None) -> MachineImage:
    """An image of the project; ``policy`` is its IAM policy, ``None`` if unread."""
    public: bool | None = None
    shared: tuple[str, ...] = ()
    if policy is not None:
        members = [str(m) for b in policy.get("bindings") or [] for m in b.get("members") or []]
        public = any(m in PUBLIC_MEMBERS for m in members)
        shared = tuple(dict.fromkeys(m for m in members if m not in PUBLIC_MEMBERS))
    state = (item.get("deprecated") or {}).get("state")
    return MachineImage(
        **ctx.base(item["selfLink"], GLOBAL, item.get("name", ""), item.get("labels")),
        owner_scope=ctx.project,
        public=public,
        shared_with=shared,
        deprecated=state in DEPRECATED_STATES,
        created_at=parse_time(item.get("creationTimestamp")),
    )
