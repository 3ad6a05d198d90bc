"""GCP instances, disks and images: FAIL and ERROR cases (PASS cases: test_gcp_gaps)."""

from __future__ import annotations

from dataclasses import replace

from scanner.inventory import Disk, LoginSettings, MachineImage, Principal, RoleBinding
from scanner.results import Severity, Status
from tests.checks.builders import only
from tests.checks.gcp_builders import (
    API,
    APP_SA,
    CLOUD_PLATFORM,
    DEFAULT_SA,
    PROJECT,
    REGION,
    make,
    run,
    vm,
)

BOOT = "any.compute.boot_integrity"
LOGIN = "any.compute.login_hardened"
IDENTITY = "any.compute.identity_least_privilege"
FORWARDING = "any.compute.ip_forwarding_disabled"
PUBLIC_IP = "any.compute.public_ip_attached"
DISK = "any.disk.encrypted"
IMAGE = "any.image.publicly_shared"
HARDENED = LoginSettings(central_login=True, project_keys_blocked=True, serial_console=False)
RM = f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}"


def verdict(check_id: str, *entities: object) -> tuple[Status, str, Severity]:
    findings = run(check_id, *entities)  # type: ignore[arg-type]
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0].status, findings[0].message, findings[0].severity


def test_public_ip_fails_medium_and_subnets_are_not_judged() -> None:
    status, message, severity = verdict(PUBLIC_IP, vm("bastion", public_ips=("34.123.45.67",)))
    assert status is Status.FAIL and severity is Severity.MEDIUM
    assert "34.123.45.67" in message


def test_stopped_instances_are_not_judged() -> None:
    assert run(PUBLIC_IP, vm(state="terminated", public_ips=("34.1.1.1",))) == []


def test_shielded_vm_option_off_fails_naming_it() -> None:
    status, message, _ = verdict(BOOT, vm(secure_boot=False, integrity_monitoring=False))
    assert status is Status.FAIL
    assert "secure boot" in message and "integrity monitoring" in message and "vtpm" not in message


def test_shielded_vm_not_reported_is_error() -> None:
    status, message, _ = verdict(BOOT, vm(secure_boot=None, vtpm=None, integrity_monitoring=None))
    assert status is Status.ERROR and "not reported" in message


def test_boot_mode_is_not_required_on_gcp() -> None:
    assert verdict(BOOT, vm(boot_mode=None))[0] is Status.PASS


def test_each_weak_login_setting_fails() -> None:
    for login, words in (
        (replace(HARDENED, central_login=False), "OS Login is off"),
        (replace(HARDENED, project_keys_blocked=False), "project-wide SSH keys"),
        (replace(HARDENED, serial_console=True), "serial console"),
    ):
        status, message, _ = verdict(LOGIN, vm(login=login))
        assert status is Status.FAIL and words in message, message


def test_login_setting_not_reported_is_error_unless_another_fails() -> None:
    unknown = replace(HARDENED, central_login=None)
    assert verdict(LOGIN, vm(login=unknown))[0] is Status.ERROR
    assert verdict(LOGIN, vm(login=replace(unknown, serial_console=True)))[0] is Status.FAIL


def test_login_checks_instances_not_region_settings() -> None:
    findings = run(LOGIN, vm("a"), vm("b", login=replace(HARDENED, serial_console=True)))
    assert sorted(f.status for f in findings) == [Status.FAIL, Status.PASS]


def test_default_service_account_with_cloud_platform_fails() -> None:
    instance = vm("bastion", identity_ref=DEFAULT_SA, public_ips=("34.1.1.1",))
    status, message, severity = verdict(IDENTITY, instance)
    assert status is Status.FAIL and "default compute service account" in message
    assert severity is Severity.CRITICAL


def test_default_service_account_with_narrow_scopes_is_judged_by_its_roles() -> None:
    instance = vm(
        identity_ref=DEFAULT_SA,
        identity_scopes=("https://www.googleapis.com/auth/devstorage.read_only",),
    )
    sa = make(
        Principal,
        f"projects/{PROJECT}/serviceAccounts/{DEFAULT_SA}",
        principal_kind="service",
        aliases=(DEFAULT_SA, f"serviceAccount:{DEFAULT_SA}"),
    )
    editor = make(
        RoleBinding,
        f"{RM}#roles/editor#serviceAccount:{DEFAULT_SA}",
        principal_id=f"serviceAccount:{DEFAULT_SA}",
        principal_type="service_account",
        role="roles/editor",
        role_name="roles/editor",
        admin_equivalent=True,
    )
    status, message, _ = verdict(IDENTITY, instance, sa, editor)
    assert status is Status.FAIL and "roles/editor" in message


def test_service_account_with_admin_role_fails_and_unknown_is_error() -> None:
    sa = make(
        Principal,
        f"projects/{PROJECT}/serviceAccounts/{APP_SA}",
        principal_kind="service",
        aliases=(APP_SA, f"serviceAccount:{APP_SA}"),
    )

    def binding(admin: bool | None) -> RoleBinding:
        return make(
            RoleBinding,
            f"{RM}#roles/compute.admin#serviceAccount:{APP_SA}",
            principal_id=f"serviceAccount:{APP_SA}",
            principal_type="service_account",
            role="roles/compute.admin",
            admin_equivalent=admin,
        )

    assert verdict(IDENTITY, vm(), sa, binding(True))[0] is Status.FAIL
    assert verdict(IDENTITY, vm(), sa, binding(None))[0] is Status.ERROR


def test_service_account_of_another_project_is_error() -> None:
    status, message, _ = verdict(IDENTITY, vm(identity_ref="x@other.iam.gserviceaccount.com"))
    assert status is Status.ERROR and "not found" in message


def test_instance_without_service_account_passes() -> None:
    assert verdict(IDENTITY, vm(identity_ref=None, identity_scopes=()))[0] is Status.PASS


def test_ip_forwarding_fails_unless_labelled_or_tagged_appliance() -> None:
    status, message, _ = verdict(FORWARDING, vm(ip_forwarding=True))
    assert status is Status.FAIL and "cldscan-appliance=true" in message
    labelled = vm(ip_forwarding=True, tags={"cldscan-appliance": "true"})
    tagged = vm(ip_forwarding=True, network_tags=("cldscan-appliance",))
    assert verdict(FORWARDING, labelled)[0] is Status.PASS
    assert verdict(FORWARDING, tagged)[0] is Status.PASS
    assert verdict(FORWARDING, vm(ip_forwarding=None))[0] is Status.ERROR


def disk(**fields: object) -> Disk:
    return make(
        Disk,
        f"{API}/projects/{PROJECT}/zones/us-central1-a/disks/d1",
        region=REGION,
        **fields,
    )


def test_google_managed_key_is_a_medium_fail_customer_keys_pass() -> None:
    status, message, severity = verdict(DISK, disk(encrypted=True, key_type="provider"))
    assert status is Status.FAIL and severity is Severity.MEDIUM and "Google-managed" in message
    assert verdict(DISK, disk(encrypted=True, key_type="supplied"))[0] is Status.PASS
    assert verdict(DISK, disk(encrypted=True, key_type=None))[0] is Status.ERROR


def test_public_image_fails_and_unknown_is_error() -> None:
    image = f"{API}/projects/{PROJECT}/global/images/base"
    f = only(run(IMAGE, make(MachineImage, image, public=True)), image)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert verdict(IMAGE, make(MachineImage, image, public=None))[0] is Status.ERROR


def test_cloud_platform_scope_alone_is_not_a_failure() -> None:
    assert CLOUD_PLATFORM in vm().identity_scopes
    assert run(IDENTITY, vm())[0].status is Status.ERROR  # the SA itself was not collected


def test_bios_boot_disk_fails_and_unreported_boot_mode_is_not_required() -> None:
    status, message, _ = verdict(BOOT, vm(boot_mode="bios"))
    assert status is Status.FAIL and "BIOS" in message
    assert verdict(BOOT, vm(boot_mode="uefi"))[0] is Status.PASS
