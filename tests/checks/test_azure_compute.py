"""Azure VMs and disks: trusted launch, Linux passwords, identities, forwarding, disks."""

from __future__ import annotations

from scanner.inventory import (
    GLOBAL,
    ComputeInstance,
    Disk,
    LoginSettings,
    MachineImage,
    Principal,
    RoleBinding,
    Snapshot,
)
from scanner.results import Severity, Status
from tests.checks.azure_builders import SUB, SUB_ID, arm, az, az_gap, az_run
from tests.checks.builders import only, statuses

BOOT = "any.compute.boot_integrity"
LOGIN = "any.compute.login_hardened"
IDENTITY = "any.compute.identity_least_privilege"
FORWARDING = "any.compute.ip_forwarding_disabled"
ENCRYPTED = "any.disk.encrypted"
PUBLIC = "any.image.publicly_shared"

VM = arm("microsoft.compute/virtualmachines/vm1")
MI = "11111111-2222-3333-4444-555555555555"
ROLES = f"{SUB_ID}/providers/microsoft.authorization/roledefinitions"
OWNER = f"{ROLES}/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = f"{ROLES}/acdd72a7-3385-48ef-bd42-f606fba81ae7"


def vm(**fields: object) -> ComputeInstance:
    base: dict[str, object] = {"state": "vm running", "os_type": "linux"}
    base.update(fields)
    return az(ComputeInstance, VM, **base)  # type: ignore[arg-type]


# --- trusted launch ----------------------------------------------------------------------


def test_trusted_launch_with_secure_boot_and_vtpm_passes() -> None:
    for kind in ("TrustedLaunch", "ConfidentialVM"):
        f = only(az_run(BOOT, vm(security_type=kind, secure_boot=True, vtpm=True)), VM)
        assert f.status is Status.PASS and kind in f.message


def test_standard_vm_fails_without_needing_a_boot_mode() -> None:
    f = only(az_run(BOOT, vm(security_type="Standard", secure_boot=False, vtpm=False)), VM)
    assert f.status is Status.FAIL and f.severity is Severity.MEDIUM
    assert "not Trusted Launch" in f.message and f.evidence["security_type"] == "Standard"
    assert "--security-type TrustedLaunch" in f.remediation


def test_trusted_launch_with_secure_boot_off_fails() -> None:
    f = only(az_run(BOOT, vm(security_type="TrustedLaunch", secure_boot=False, vtpm=True)), VM)
    assert f.status is Status.FAIL and "secure boot off" in f.message


def test_unreported_security_type_or_flags_are_errors() -> None:
    assert statuses(az_run(BOOT, vm())) == {VM: Status.ERROR}
    half = vm(security_type="TrustedLaunch", secure_boot=None, vtpm=True)
    assert statuses(az_run(BOOT, half)) == {VM: Status.ERROR}


# --- Linux password authentication -------------------------------------------------------


def test_linux_password_auth_fails_and_keys_only_passes() -> None:
    f = only(az_run(LOGIN, vm(login=LoginSettings(password_auth=True))), VM)
    assert f.status is Status.FAIL and "password" in f.message
    assert "--authentication-type ssh" in f.remediation
    passing = az_run(LOGIN, vm(login=LoginSettings(password_auth=False)))
    assert statuses(passing) == {VM: Status.PASS}


def test_windows_vms_are_not_judged_and_unknowns_are_errors() -> None:
    assert az_run(LOGIN, vm(os_type="windows")) == []
    assert statuses(az_run(LOGIN, vm())) == {VM: Status.ERROR}
    assert statuses(az_run(LOGIN, vm(os_type=None))) == {VM: Status.ERROR}


# --- managed identity --------------------------------------------------------------------


def assignment(role: str, name: str, admin: bool | None, principal: str = MI) -> RoleBinding:
    return az(
        RoleBinding,
        f"{SUB_ID}/providers/microsoft.authorization/roleassignments/{name}",
        region=GLOBAL,
        principal_id=principal,
        principal_type="service_account",
        role=role,
        role_name="Owner" if role == OWNER else "Reader",
        scope=SUB_ID,
        scope_level="subscription",
        admin_equivalent=admin,
    )


MI_PRINCIPAL = az(Principal, MI, region=GLOBAL, principal_kind="service")


def test_vm_identity_holding_owner_fails_critical_when_public() -> None:
    found = az_run(
        IDENTITY,
        vm(identity_ref=MI, public_ips=("20.1.2.3",)),
        MI_PRINCIPAL,
        assignment(OWNER, "a1", True),
    )
    f = only(found, VM)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL and "Owner" in f.message


def test_vm_identity_with_reader_or_no_assignment_passes() -> None:
    found = az_run(IDENTITY, vm(identity_ref=MI), MI_PRINCIPAL, assignment(READER, "a2", False))
    assert statuses(found) == {VM: Status.PASS}
    # No role assignment lists the identity: it holds no role in the subscription.
    assert statuses(az_run(IDENTITY, vm(identity_ref=MI))) == {VM: Status.PASS}
    assert statuses(az_run(IDENTITY, vm())) == {VM: Status.PASS}


def test_unknown_role_definition_is_error() -> None:
    found = az_run(IDENTITY, vm(identity_ref=MI), assignment(READER, "a3", None))
    assert statuses(found) == {VM: Status.ERROR}


def test_role_assignment_gap_is_error() -> None:
    found = az_run(IDENTITY, vm(identity_ref=MI), gaps=(az_gap(("role_binding",)),))
    assert {f.status for f in found} == {Status.ERROR}


# --- IP forwarding -----------------------------------------------------------------------


def test_nic_ip_forwarding_fails_unless_tagged_appliance() -> None:
    f = only(az_run(FORWARDING, vm(ip_forwarding=True)), VM)
    assert f.status is Status.FAIL and "NIC IP forwarding" in f.message
    assert "--ip-forwarding false" in f.remediation
    nva = vm(ip_forwarding=True, tags={"cldscan:appliance": "true"})
    assert statuses(az_run(FORWARDING, nva)) == {VM: Status.PASS}
    assert statuses(az_run(FORWARDING, vm(ip_forwarding=False))) == {VM: Status.PASS}
    assert statuses(az_run(FORWARDING, vm())) == {VM: Status.ERROR}


# --- disks -------------------------------------------------------------------------------

DISK = arm("microsoft.compute/disks/vm1-os")
VHD = f"{VM}/disks/legacy-data"


def test_managed_disks_pass_with_either_key_type() -> None:
    for key_type in ("provider", "customer"):
        disk = az(Disk, DISK, managed=True, encrypted=True, key_type=key_type)
        f = only(az_run(ENCRYPTED, disk), DISK)
        assert f.status is Status.PASS and f.evidence["key_type"] == key_type


def test_unmanaged_vhd_fails_and_unknown_management_is_error() -> None:
    vhd = az(Disk, VHD, managed=False, encrypted=None, attached_to=(VM,))
    f = only(az_run(ENCRYPTED, vhd), VHD)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH and "unmanaged" in f.message
    assert "az vm convert" in f.remediation
    assert statuses(az_run(ENCRYPTED, az(Disk, DISK, encrypted=True))) == {DISK: Status.ERROR}


def test_azure_has_no_region_default_encryption_result() -> None:
    """Only disks are judged on Azure (managed disks are always encrypted at rest)."""
    assert az_run(ENCRYPTED) == []


def test_disk_exportable_from_any_network_fails() -> None:
    open_disk = az(Disk, DISK, managed=True, encrypted=True, public_access=True)
    f = only(az_run(PUBLIC, open_disk), DISK)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert "--network-access-policy DenyAll" in f.remediation
    closed = az(Disk, DISK, managed=True, encrypted=True, public_access=False)
    assert statuses(az_run(PUBLIC, closed)) == {DISK: Status.PASS}
    unknown = az(Disk, DISK, managed=True, public_access=None)
    assert statuses(az_run(PUBLIC, unknown)) == {DISK: Status.ERROR}


def test_public_snapshot_fails_and_managed_image_passes() -> None:
    snap = az(Snapshot, arm("microsoft.compute/snapshots/s1"), public=True, encrypted=True)
    image = az(MachineImage, arm("microsoft.compute/images/img1"), public=False, owner_scope=SUB)
    found = az_run(PUBLIC, snap, image)
    assert statuses(found) == {snap.id: Status.FAIL, image.id: Status.PASS}
    assert "exported from any network" in only(found, snap.id).message


def test_disk_gap_is_error() -> None:
    found = az_run(PUBLIC, gaps=(az_gap(("disk",)),))
    assert {f.status for f in found} == {Status.ERROR}
