"""Virtual machines, managed disks, snapshots and images."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from providers.azure.normalise.common import PROVIDER, base, enum_str, get, lid
from scanner.inventory import ComputeInstance, Disk, LoginSettings, MachineImage, Snapshot

CUSTOMER_KEY_TYPES = {
    "encryptionatrestwithcustomerkey",
    "encryptionatrestwithplatformandcustomerkeys",
}


def power_state(statuses: Any) -> str:
    """``vm running`` from instance-view statuses; ``""`` if none is reported."""
    for status in statuses or ():
        code = str(get(status, "code") or "")
        if code.lower().startswith("powerstate/"):
            display = get(status, "display_status") or get(status, "displayStatus")
            return str(display or "vm " + code.split("/", 1)[1]).lower()
    return ""


def _image_ref(vm: Any) -> str | None:
    ref = get(vm, "storage_profile", "image_reference")
    if ref is None:
        return None
    if get(ref, "id"):
        return lid(get(ref, "id"))
    parts = [get(ref, f) for f in ("publisher", "offer", "sku", "version")]
    return ":".join(str(p or "") for p in parts) if any(parts) else None


def _login(vm: Any, os_type: str | None) -> LoginSettings:
    if os_type != "linux":
        return LoginSettings()
    disabled = get(vm, "os_profile", "linux_configuration", "disable_password_authentication")
    return LoginSettings(password_auth=None if disabled is None else not disabled)


def _boot(vm: Any) -> tuple[str, bool | None, bool | None]:
    profile = get(vm, "security_profile")
    security_type = enum_str(get(profile, "security_type")) or "Standard"
    if security_type.lower() == "standard":
        return "Standard", False, False
    uefi = get(profile, "uefi_settings")
    return security_type, get(uefi, "secure_boot_enabled"), get(uefi, "v_tpm_enabled")


def identities(vm: Any) -> tuple[str, ...]:
    """Principal ids the VM can act as: system-assigned first, then every user-assigned."""
    identity = get(vm, "identity")
    found = [get(identity, "principal_id")]
    found += [
        get(u, "principal_id") for u in (get(identity, "user_assigned_identities") or {}).values()
    ]
    return tuple(dict.fromkeys(str(p).lower() for p in found if p))


def nic_ids(vm: Any) -> tuple[str, ...]:
    """The VM's NIC ids, the primary one first."""
    refs = list(get(vm, "network_profile", "network_interfaces") or ())
    refs.sort(key=lambda r: 0 if get(r, "primary") else 1)
    return tuple(dict.fromkeys(lid(get(r, "id")) for r in refs if get(r, "id")))


def virtual_machine(vm: Any, sub: str, state: str = "") -> ComputeInstance:
    """A VM model; network fields are filled by the join from NICs and subnets."""
    os_type = enum_str(get(vm, "storage_profile", "os_disk", "os_type")).lower() or None
    security_type, secure_boot, vtpm = _boot(vm)
    principals = identities(vm)
    return ComputeInstance(
        **base(vm, sub),
        state=state,
        image_ref=_image_ref(vm),
        network_interface_ids=nic_ids(vm),
        identity_ref=principals[0] if principals else None,
        identity_refs=principals,
        boot_mode="uefi" if security_type != "Standard" else None,
        secure_boot=secure_boot,
        vtpm=vtpm,
        integrity_monitoring=None,
        login=_login(vm, os_type),
        ip_forwarding=None,
        launched_at=get(vm, "time_created"),
        os_type=os_type,
        security_type=security_type,
    )


def unmanaged_disks(vm: Any, sub: str) -> Iterator[Disk]:
    """VHD disks in storage accounts (no managed disk resource exists for them)."""
    vm_id = lid(get(vm, "id"))
    profile = get(vm, "storage_profile")
    disks = [get(profile, "os_disk"), *(get(profile, "data_disks") or ())]
    for disk in disks:
        if disk is None or get(disk, "managed_disk") is not None or get(disk, "vhd") is None:
            continue
        name = str(get(disk, "name") or "osdisk")
        yield Disk(
            id=f"{vm_id}/disks/{name.lower()}",
            provider=PROVIDER,
            account=sub,
            region=base(vm, sub)["region"],
            name=name,
            attached_to=(vm_id,),
            encrypted=None,
            size_gb=get(disk, "disk_size_gb"),
            managed=False,
        )


def _public(resource: Any) -> bool | None:
    policy = enum_str(get(resource, "network_access_policy"))
    if not policy:
        return None
    public_access = enum_str(get(resource, "public_network_access"))
    return policy.lower() == "allowall" and public_access.lower() != "disabled"


def managed_disk(disk: Any, sub: str) -> Disk:
    enc_type = enum_str(get(disk, "encryption", "type")).lower()
    key_type = None
    if enc_type:
        key_type = "customer" if enc_type in CUSTOMER_KEY_TYPES else "provider"
    managed_by = lid(get(disk, "managed_by"))
    return Disk(
        **base(disk, sub),
        attached_to=(managed_by,) if managed_by else (),
        encrypted=True,
        key_type=key_type,
        key_id=lid(get(disk, "encryption", "disk_encryption_set_id")) or None,
        public_access=_public(disk),
        size_gb=get(disk, "disk_size_gb"),
        managed=True,
    )


def snapshot(snap: Any, sub: str) -> Snapshot:
    return Snapshot(
        **base(snap, sub),
        source_disk=lid(get(snap, "creation_data", "source_resource_id")) or None,
        encrypted=True,
        public=_public(snap),
        created_at=get(snap, "time_created"),
    )


def image(img: Any, sub: str) -> MachineImage:
    return MachineImage(
        **base(img, sub),
        owner_scope=sub,
        public=False,
    )
