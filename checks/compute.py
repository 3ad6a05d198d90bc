"""Virtual machine hardening and exposure: public IPs, IMDSv2, boot, login, identity, forwarding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks._common import bindings_of, is_running, label, not_reported, of_providers, short_id
from checks._exposure import admin_exposed
from scanner.inventory import (
    ComputeInstance,
    Inventory,
    Principal,
    RegionSettings,
    RoleBinding,
    Subnet,
)
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)


def _running(inv: Inventory) -> Iterator[ComputeInstance]:
    return (vm for vm in of_providers(inv, ComputeInstance, PROVIDERS) if is_running(vm))


@check(
    id="any.compute.public_ip_attached",
    title="Instances and subnets do not hand out public IP addresses",
    severity=Severity.MEDIUM,
    controls=("CLD.9.5.1", "CLD.13.1.4"),
    providers=PROVIDERS,
    needs=(ComputeInstance, Subnet),
    rationale=(
        "A public address makes an instance reachable from every network on earth as soon "
        "as any rule admits it; workloads should sit behind load balancers, NAT or a bastion."
    ),
    remediation=(
        "Launch instances without public addresses behind a load balancer or NAT gateway; "
        "turn off automatic assignment with `aws ec2 modify-subnet-attribute --subnet-id "
        "subnet-... --no-map-public-ip-on-launch`."
    ),
    references=(
        "prowler:ec2_instance_public_ip",
        "prowler:vpc_subnet_no_public_ip_by_default",
    ),
)
def public_ip_attached(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in _running(inv):
        if not vm.public_ips:
            yield Result.passed(vm, f"instance {label(vm)} has no public IP")
            continue
        ports = admin_exposed(inv, vm, cfg.admin_ports)
        yield Result.failed(
            vm,
            f"instance {label(vm)} has public IP {', '.join(vm.public_ips)}"
            + (
                f" and admits the internet to admin port(s) {','.join(map(str, ports))}"
                if ports
                else ""
            ),
            severity=Severity.HIGH if ports else None,
            public_ips=list(vm.public_ips),
            admin_ports_open_to_world=ports,
        )
    for subnet in of_providers(inv, Subnet, PROVIDERS):
        if subnet.auto_public_ip is None:
            yield not_reported(subnet, "automatic public IP assignment")
        elif subnet.auto_public_ip:
            yield Result.failed(
                subnet,
                f"subnet {label(subnet)} gives every new instance a public IP",
                auto_public_ip=True,
            )
        else:
            yield Result.passed(
                subnet, f"subnet {label(subnet)} does not assign public IPs", auto_public_ip=False
            )


@check(
    id="aws.ec2.imdsv2_required",
    title="Instances require IMDSv2 session tokens",
    severity=Severity.HIGH,
    controls=("CLD.9.5.2",),
    providers=("aws",),
    needs=(ComputeInstance,),
    rationale=(
        "IMDSv1 answers any request that reaches it, so a server-side request forgery in an "
        "application leaks the instance role's credentials; IMDSv2 requires a session token."
    ),
    remediation=(
        "`aws ec2 modify-instance-metadata-options --instance-id i-... --http-tokens required "
        "--http-endpoint enabled`; set the account default with "
        "`aws ec2 modify-instance-metadata-defaults --http-tokens required`."
    ),
    references=("CIS AWS 3.0 5.6", "CIS AWS 4.0 5.7", "prowler:ec2_instance_imdsv2_enabled"),
)
def imdsv2_required(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in (v for v in inv.of(ComputeInstance) if v.provider == "aws" and is_running(v)):
        if vm.metadata_v2_required is None:
            yield not_reported(vm, "metadata options")
        elif vm.metadata_v2_required:
            yield Result.passed(vm, f"instance {label(vm)} requires IMDSv2 tokens")
        else:
            yield Result.failed(
                vm,
                f"instance {label(vm)} answers IMDSv1 requests (http-tokens optional)",
                metadata_v2_required=False,
            )


SECURE_BOOT_REPORTED = frozenset({"azure", "gcp"})
"""Providers that report secure boot for every instance: there it is required.

EC2 does not report UEFI secure boot; a value that is reported is judged anywhere.
"""


@check(
    id="any.compute.boot_integrity",
    title="Instances boot with UEFI and a virtual TPM (measured boot)",
    severity=Severity.MEDIUM,
    controls=("CLD.9.5.2",),
    providers=PROVIDERS,
    needs=(ComputeInstance,),
    rationale=(
        "UEFI firmware with a virtual TPM records each stage of the boot in the TPM (measured "
        "boot), so boot-kits and tampered kernels that survive reinstallation can be detected "
        "by attestation; where the platform reports secure boot, it must be on as well."
    ),
    remediation=(
        "Launch from an AMI registered with `--boot-mode uefi --tpm-support v2.0` (on a "
        "Nitro instance type) and migrate the workload; legacy-BIOS instances cannot be "
        "switched in place."
    ),
    references=(
        "CIS GCP 2.0 4.8",
        "CIS Azure 2.1 7.9",
        "prowler:compute_instance_shielded_vm_enabled",
        "prowler:vm_trusted_launch_enabled",
    ),
)
def boot_integrity(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in _running(inv):
        yield _judge_boot(vm)


def _judge_boot(vm: ComputeInstance) -> Result:
    wants_secure_boot = vm.provider in SECURE_BOOT_REPORTED
    evidence: dict[str, Any] = {
        "boot_mode": vm.boot_mode,
        "vtpm": vm.vtpm,
        "secure_boot": vm.secure_boot,
        "secure_boot_required": wants_secure_boot,
    }
    lacks = []
    if vm.boot_mode is not None and vm.boot_mode.lower() != "uefi":
        lacks.append(f"boots in {vm.boot_mode} mode")
    if vm.vtpm is False:
        lacks.append("has no vTPM")
    if vm.secure_boot is False:
        lacks.append("has secure boot off")
    if lacks:
        return Result.failed(
            vm,
            f"instance {label(vm)} " + ", ".join(lacks),
            severity=Severity.LOW if vm.provider == "aws" else None,
            **evidence,
        )
    if vm.boot_mode is None:
        return not_reported(vm, "boot mode")
    if vm.vtpm is None:
        return not_reported(vm, "vTPM support")
    if wants_secure_boot and vm.secure_boot is None:
        return not_reported(vm, "secure boot")
    return Result.passed(
        vm,
        f"instance {label(vm)} boots with UEFI and a vTPM"
        + (" and secure boot on" if vm.secure_boot else ""),
        **evidence,
    )


@check(
    id="any.compute.login_hardened",
    title="Interactive login paths to instances are hardened",
    severity=Severity.MEDIUM,
    controls=("CLD.9.5.2", "CLD.12.1.5"),
    providers=PROVIDERS,
    needs=(RegionSettings,),
    rationale=(
        "The EC2 serial console gives a root shell path that bypasses network controls; it "
        "should stay disabled except while someone is recovering an instance."
    ),
    remediation=(
        "Disable serial console access in every region: "
        "`aws ec2 disable-serial-console-access --region <region>`."
    ),
    references=("CIS GCP 2.0 4.5", "prowler:compute_instance_serial_ports_in_use"),
)
def login_hardened(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for settings in of_providers(inv, RegionSettings, PROVIDERS):
        where = f"{settings.account}/{settings.region}"
        if settings.serial_console_access is None:
            yield not_reported(settings, "serial console access status")
        elif settings.serial_console_access:
            yield Result.failed(
                settings,
                f"serial console access is enabled in {where}",
                serial_console_access=True,
            )
        else:
            yield Result.passed(
                settings,
                f"serial console access is disabled in {where}",
                serial_console_access=False,
            )


@check(
    id="any.compute.identity_least_privilege",
    title="Instance identities do not hold administrator rights",
    severity=Severity.HIGH,
    controls=("CLD.9.5.2", "CLD.12.1.5"),
    providers=PROVIDERS,
    needs=(ComputeInstance, Principal, RoleBinding),
    rationale=(
        "Anyone who runs code on the instance can use its identity; an administrator role on "
        "an instance turns any application compromise into a compromise of the account."
    ),
    remediation=(
        "Give the instance profile's role a policy that grants only the actions the workload "
        "needs and detach AdministratorAccess: `aws iam detach-role-policy --role-name ... "
        "--policy-arn arn:aws:iam::aws:policy/AdministratorAccess`."
    ),
    references=(
        "CIS AWS 3.0 1.18",
        "CIS AWS 4.0 1.18",
        "prowler:ec2_instance_profile_attached",
        "prowler:ec2_instance_internet_facing_with_instance_profile",
    ),
)
def identity_least_privilege(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in _running(inv):
        if not vm.identity_ref:
            yield Result.passed(vm, f"instance {label(vm)} has no attached identity")
            continue
        principal = inv.get(vm.identity_ref, Principal)
        if principal is None:
            yield Result.error(
                vm,
                f"instance {label(vm)}: identity {short_id(vm.identity_ref)} was not found "
                "among the collected principals",
                identity_ref=vm.identity_ref,
            )
            continue
        bindings = bindings_of(inv, principal)
        admin = [b for b in bindings if b.admin_equivalent]
        unknown = [b for b in bindings if b.admin_equivalent is None]
        evidence: dict[str, Any] = {"identity_ref": vm.identity_ref, "principal": principal.id}
        if admin:
            yield Result.failed(
                vm,
                f"instance {label(vm)} runs as {label(principal)}, which holds administrator "
                f"rights through {', '.join(b.role_name or short_id(b.role) for b in admin)}",
                severity=Severity.CRITICAL if vm.public_ips else None,
                admin_bindings=[b.id for b in admin],
                public_ips=list(vm.public_ips),
                **evidence,
            )
        elif unknown:
            yield Result.error(
                vm,
                f"instance {label(vm)}: whether {len(unknown)} policy(ies) of "
                f"{label(principal)} grant administrator rights was not reported",
                unknown_bindings=[b.id for b in unknown],
                **evidence,
            )
        else:
            yield Result.passed(
                vm,
                f"instance {label(vm)} runs as {label(principal)}, which holds no "
                "administrator rights",
                bindings=[b.id for b in bindings],
                **evidence,
            )


@check(
    id="any.compute.ip_forwarding_disabled",
    title="Instances do not forward IP traffic unless they are network appliances",
    severity=Severity.MEDIUM,
    controls=("CLD.13.1.4", "CLD.9.5.1"),
    providers=PROVIDERS,
    needs=(ComputeInstance,),
    rationale=(
        "An instance that forwards traffic for other addresses can route around the network's "
        "filtering and segmentation; only designated routers, NAT and firewall appliances "
        "should."
    ),
    remediation=(
        "Re-enable the source/destination check: `aws ec2 modify-instance-attribute "
        "--instance-id i-... --source-dest-check`; tag real appliances "
        "cldscan:appliance=true so they are exempt."
    ),
    references=("CIS GCP 2.0 4.6", "prowler:compute_instance_ip_forwarding_is_enabled"),
)
def ip_forwarding_disabled(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in _running(inv):
        if vm.ip_forwarding is None:
            yield not_reported(vm, "IP forwarding (source/destination check)")
        elif not vm.ip_forwarding:
            yield Result.passed(vm, f"instance {label(vm)} does not forward IP traffic")
        elif vm.tags.get(cfg.appliance_tag, "").lower() == "true":
            yield Result.passed(
                vm,
                f"instance {label(vm)} forwards IP traffic and is tagged "
                f"{cfg.appliance_tag}=true (exempt)",
                ip_forwarding=True,
                exempt=True,
            )
        else:
            yield Result.failed(
                vm,
                f"instance {label(vm)} forwards IP traffic (source/destination check off) "
                f"and is not tagged {cfg.appliance_tag}=true",
                ip_forwarding=True,
                exempt=False,
            )
