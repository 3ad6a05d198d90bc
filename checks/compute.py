"""Virtual machine hardening and exposure: public IPs, IMDSv2, boot, login, identity, forwarding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks import _gcp, _gcp_iam
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

PROVIDERS = ("aws", "azure", "gcp")


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
    remediation={
        "aws": (
            "Launch instances without public addresses behind a load balancer or NAT gateway; "
            "turn off automatic assignment with `aws ec2 modify-subnet-attribute --subnet-id "
            "subnet-... --no-map-public-ip-on-launch`."
        ),
        "azure": (
            "Detach the public IP from the VM's NIC (`az network nic ip-config update -g <rg> "
            "--nic-name <nic> -n <ipconfig> --remove publicIpAddress`) and publish the workload "
            "through a load balancer or Application Gateway; reach it for administration "
            "through Azure Bastion."
        ),
        "gcp": (
            "Remove the instance's external IP (`gcloud compute instances delete-access-config "
            "<vm> --zone <zone> --access-config-name external-nat`), reach the internet "
            "through Cloud NAT and administer through IAP TCP forwarding; enforce it with the "
            "constraints/compute.vmExternalIpAccess organization policy."
        ),
    },
    references=(
        "CIS GCP 2.0 4.9",
        "CIS GCP 3.0 4.9",
        "prowler:ec2_instance_public_ip",
        "prowler:vpc_subnet_no_public_ip_by_default",
        "prowler:compute_instance_public_ip",
    ),
)
def public_ip_attached(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in _running(inv):
        if not vm.public_ips:
            yield Result.passed(vm, f"instance {label(vm)} has no public IP")
            continue
        ports = (
            _gcp.instance_admin_ports(inv, vm, cfg.admin_ports)
            if vm.provider == "gcp"
            else admin_exposed(inv, vm, cfg.admin_ports)
        )
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
    for subnet in of_providers(inv, Subnet, ("aws",)):
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
    remediation={
        "aws": (
            "Launch from an AMI registered with `--boot-mode uefi --tpm-support v2.0` (on a "
            "Nitro instance type) and migrate the workload; legacy-BIOS instances cannot be "
            "switched in place."
        ),
        "azure": (
            "Use Trusted Launch with secure boot and vTPM: for a Gen2 VM `az vm deallocate`, "
            "then `az vm update -g <rg> -n <vm> --security-type TrustedLaunch "
            "--enable-secure-boot true --enable-vtpm true` and start it; Gen1 VMs must be "
            "converted to Gen2 or redeployed from a Trusted Launch image."
        ),
        "gcp": (
            "Stop the instance and turn on every Shielded VM option: `gcloud compute instances "
            "stop <vm> --zone <zone>`, `gcloud compute instances update <vm> --zone <zone> "
            "--shielded-secure-boot --shielded-vtpm --shielded-integrity-monitoring`, then start "
            "it (the boot image must support Shielded VM); enforce with "
            "constraints/compute.requireShieldedVm."
        ),
    },
    references=(
        "CIS GCP 2.0 4.8",
        "CIS GCP 3.0 4.8",
        "CIS Azure 2.1 7.9",
        "CIS Azure 3.0 8.11",
        "prowler:compute_instance_shielded_vm_enabled",
        "prowler:vm_trusted_launch_enabled",
    ),
)
def boot_integrity(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in _running(inv):
        if vm.provider == "gcp":
            yield _gcp.judge_shielded(vm)
        else:
            yield _judge_trusted_launch(vm) if vm.provider == "azure" else _judge_boot(vm)


TRUSTED_SECURITY_TYPES = frozenset({"trustedlaunch", "confidentialvm"})


def _judge_trusted_launch(vm: ComputeInstance) -> Result:
    """Azure: Trusted Launch (or a confidential VM) with secure boot and vTPM both on."""
    evidence: dict[str, Any] = {
        "security_type": vm.security_type,
        "secure_boot": vm.secure_boot,
        "vtpm": vm.vtpm,
    }
    if vm.security_type is None:
        return not_reported(vm, "security type")
    lacks = []
    if vm.security_type.lower() not in TRUSTED_SECURITY_TYPES:
        lacks.append(f"is a {vm.security_type} VM, not Trusted Launch")
    if vm.secure_boot is False:
        lacks.append("has secure boot off")
    if vm.vtpm is False:
        lacks.append("has no vTPM")
    if lacks:
        return Result.failed(vm, f"VM {label(vm)} " + ", ".join(lacks), **evidence)
    if vm.secure_boot is None:
        return not_reported(vm, "secure boot")
    if vm.vtpm is None:
        return not_reported(vm, "vTPM")
    return Result.passed(
        vm, f"VM {label(vm)} is {vm.security_type} with secure boot and vTPM on", **evidence
    )


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
    needs=(RegionSettings, ComputeInstance),
    rationale=(
        "The EC2 serial console gives a root shell path that bypasses network controls; it "
        "should stay disabled except while someone is recovering an instance. Password "
        "logins to Linux VMs can be guessed or sprayed; SSH keys cannot. On GCP, OS Login "
        "ties SSH access to IAM identities, while project-wide metadata keys open every "
        "instance to whoever holds one."
    ),
    remediation={
        "aws": (
            "Disable serial console access in every region: "
            "`aws ec2 disable-serial-console-access --region <region>`."
        ),
        "azure": (
            "The VM's password setting is fixed at creation: add an SSH key (`az vm user "
            "update -g <rg> -n <vm> -u <user> --ssh-key-value <key>`), set "
            "`PasswordAuthentication no` in the guest's sshd_config (e.g. through `az vm "
            "run-command invoke --command-id RunShellScript`) at once, and redeploy the VM "
            "from its disk or image with `az vm create ... --authentication-type ssh` so the "
            "platform setting (which this check reads) is off too."
        ),
        "gcp": (
            "Turn on OS Login for the project (`gcloud compute project-info add-metadata "
            "--metadata enable-oslogin=TRUE`), and on each instance block project-wide SSH keys "
            "and close the serial port: `gcloud compute instances add-metadata <vm> --zone "
            "<zone> --metadata block-project-ssh-keys=TRUE,serial-port-enable=FALSE` (remove "
            "any instance-level enable-oslogin=FALSE)."
        ),
    },
    references=(
        "CIS GCP 2.0 4.3",
        "CIS GCP 2.0 4.4",
        "CIS GCP 2.0 4.5",
        "CIS GCP 3.0 4.3",
        "CIS GCP 3.0 4.4",
        "CIS GCP 3.0 4.5",
        "prowler:compute_instance_block_project_wide_ssh_keys_disabled",
        "prowler:compute_project_os_login_enabled",
        "prowler:compute_instance_serial_ports_in_use",
        "prowler:vm_linux_enforce_ssh_authentication",
    ),
)
def login_hardened(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in (v for v in inv.of(ComputeInstance) if v.provider == "gcp" and is_running(v)):
        yield _gcp.judge_login(vm)
    for vm in (v for v in inv.of(ComputeInstance) if v.provider == "azure" and is_running(v)):
        result = _judge_linux_password(vm)
        if result is not None:
            yield result
    for settings in of_providers(inv, RegionSettings, ("aws",)):
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


def _judge_linux_password(vm: ComputeInstance) -> Result | None:
    """Azure: Linux VMs must not accept SSH password logins; Windows is not judged."""
    if vm.os_type is None:
        return not_reported(vm, "OS type")
    if vm.os_type.lower() != "linux":
        return None
    if vm.login.password_auth is None:
        return not_reported(vm, "password authentication setting")
    if vm.login.password_auth:
        return Result.failed(
            vm, f"Linux VM {label(vm)} allows SSH password authentication", password_auth=True
        )
    return Result.passed(
        vm, f"Linux VM {label(vm)} has password authentication disabled", password_auth=False
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
    remediation={
        "aws": (
            "Give the instance profile's role a policy that grants only the actions the "
            "workload needs and detach AdministratorAccess: `aws iam detach-role-policy "
            "--role-name ... --policy-arn arn:aws:iam::aws:policy/AdministratorAccess`."
        ),
        "azure": (
            "Remove the Owner / User Access Administrator (or wildcard custom role) assignment "
            "from the VM's managed identity and grant a role scoped to what the workload "
            "uses: `az role assignment delete --assignee <principal-id> --role Owner "
            "--scope /subscriptions/<sub>`, then `az role assignment create ...`."
        ),
        "gcp": (
            "Run the instance as a dedicated service account with only the roles it needs and "
            "no owner/editor/*Admin binding: `gcloud compute instances stop <vm>`, `gcloud "
            "compute instances set-service-account <vm> --zone <zone> --service-account "
            "<sa-email> --scopes cloud-platform`, then start it; never use the default compute "
            "service account with the cloud-platform scope."
        ),
    },
    references=(
        "CIS AWS 3.0 1.18",
        "CIS AWS 4.0 1.18",
        "CIS GCP 2.0 4.2",
        "CIS GCP 3.0 4.2",
        "prowler:compute_instance_default_service_account_in_use_with_full_api_access",
        "prowler:ec2_instance_profile_attached",
        "prowler:ec2_instance_internet_facing_with_instance_profile",
    ),
)
def identity_least_privilege(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in _running(inv):
        ref = vm.identity_ref or next(iter(vm.identity_refs), None)
        if not ref:
            yield Result.passed(vm, f"instance {label(vm)} has no attached identity")
            continue
        full_scope = _gcp.default_sa_full_scope(vm) if vm.provider == "gcp" else None
        if full_scope is not None:
            yield full_scope
            continue
        if vm.provider == "azure":
            yield _judge_azure_identity(inv, vm)
            continue
        principal = inv.get(ref, Principal)
        if principal is None:
            yield Result.error(
                vm,
                f"instance {label(vm)}: identity {short_id(ref)} was not found "
                "among the collected principals",
                identity_ref=ref,
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
            gcp = vm.provider == "gcp"
            yield Result.passed(
                vm,
                f"instance {label(vm)} runs as {label(principal)}, which holds no "
                "administrator rights" + (_gcp_iam.where(inv, vm.account) if gcp else ""),
                bindings=[b.id for b in bindings],
                **evidence,
                **(_gcp_iam.evidence(inv) if gcp else {}),
            )


def _judge_azure_identity(inv: Inventory, vm: ComputeInstance) -> Result:
    """Azure: the union of the role assignments of every managed identity of the VM (system-
    and user-assigned); an identity with no role assignment listed holds no role here."""
    held = vm.identity_refs or ((vm.identity_ref,) if vm.identity_ref else ())
    bindings = [b for b in inv.of(RoleBinding) if b.provider == "azure" and b.principal_id in held]
    admin = [b for b in bindings if b.admin_equivalent]
    unknown = [b for b in bindings if b.admin_equivalent is None]
    evidence: dict[str, Any] = {"identity_ref": vm.identity_ref, "identity_refs": list(held)}
    holders = sorted({b.principal_id for b in admin or unknown}) or list(held)
    who = f"managed identit{'y' if len(holders) == 1 else 'ies'} {', '.join(holders)}"
    if admin:
        return Result.failed(
            vm,
            f"VM {label(vm)} runs as {who}, which holds "
            + ", ".join(f"{b.role_name or short_id(b.role)} at {b.scope}" for b in admin),
            severity=Severity.CRITICAL if vm.public_ips else None,
            admin_bindings=[b.id for b in admin],
            public_ips=list(vm.public_ips),
            **evidence,
        )
    if unknown:
        return Result.error(
            vm,
            f"VM {label(vm)}: the role definition of {len(unknown)} assignment(s) of {who} "
            "was not collected; cannot tell whether it is administrative",
            unknown_bindings=[b.id for b in unknown],
            **evidence,
        )
    return Result.passed(
        vm,
        f"VM {label(vm)} runs as {who}, which holds no administrator role",
        bindings=[b.id for b in bindings],
        **evidence,
    )


_FORWARDING_SETTING = {
    "aws": "source/destination check off",
    "azure": "NIC IP forwarding on",
    "gcp": "canIpForward",
}


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
    remediation={
        "aws": (
            "Re-enable the source/destination check: `aws ec2 modify-instance-attribute "
            "--instance-id i-... --source-dest-check`; tag real appliances "
            "cldscan:appliance=true so they are exempt."
        ),
        "azure": (
            "Turn IP forwarding off on the VM's NICs: `az network nic update -g <rg> -n <nic> "
            "--ip-forwarding false`; tag real network virtual appliances "
            "cldscan:appliance=true so they are exempt."
        ),
        "gcp": (
            "Export the instance (`gcloud compute instances export <vm> --zone <zone> "
            "--destination vm.yaml`), set canIpForward: false and apply it with `gcloud compute "
            "instances update-from-file <vm> --zone <zone> --source vm.yaml "
            "--most-disruptive-allowed-action RESTART`; label real appliances "
            "cldscan-appliance=true (labels cannot hold ':') so they are exempt; enforce with "
            "constraints/compute.vmCanIpForward."
        ),
    },
    references=(
        "CIS GCP 2.0 4.6",
        "CIS GCP 3.0 4.6",
        "prowler:compute_instance_ip_forwarding_is_enabled",
    ),
)
def ip_forwarding_disabled(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for vm in _running(inv):
        setting = _FORWARDING_SETTING.get(vm.provider, "IP forwarding")
        marker = cfg.appliance_tag
        if vm.provider == "gcp":
            marker = _gcp.appliance_key(marker)
        if vm.ip_forwarding is None:
            yield not_reported(vm, f"IP forwarding ({setting})")
        elif not vm.ip_forwarding:
            yield Result.passed(vm, f"instance {label(vm)} does not forward IP traffic")
        elif vm.tags.get(cfg.appliance_tag, "").lower() == "true" or (
            vm.provider == "gcp" and _gcp.is_appliance(vm, cfg.appliance_tag)
        ):
            yield Result.passed(
                vm,
                f"instance {label(vm)} forwards IP traffic and is tagged {marker}=true (exempt)",
                ip_forwarding=True,
                exempt=True,
            )
        else:
            yield Result.failed(
                vm,
                f"instance {label(vm)} forwards IP traffic ({setting}) "
                f"and is not tagged {marker}=true",
                ip_forwarding=True,
                exempt=False,
            )
