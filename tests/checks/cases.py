"""One passing inventory per built-in check; the gap and pass tests are driven from it."""

from __future__ import annotations

from checks.alerts import NETWORK_EVENTS, PRIVILEGED_EVENTS
from scanner.inventory import (
    GLOBAL,
    AlertRule,
    AuditTrail,
    ComputeInstance,
    Credential,
    Disk,
    Entity,
    FirewallRuleSet,
    FlowLogConfig,
    MachineImage,
    Network,
    NetworkInterface,
    NetworkPeering,
    Principal,
    RegionSettings,
    RoleBinding,
    Route,
    RouteTable,
    SecurityService,
    Snapshot,
    Subnet,
)
from tests.checks.builders import ROOT_ARN, ago, ec2, iam, make, rule

SG = ec2("security-group/sg-web")
WEB_SET = make(FirewallRuleSet, SG, name="web", set_kind="sg")
HTTPS = rule(SG, 0, protocol="tcp", ports=(443, 443))
DEFAULT_SG = make(FirewallRuleSet, ec2("security-group/sg-dflt"), set_kind="sg", is_default=True)
PCX = ec2("vpc-peering-connection/pcx-1")
VPC = ec2("vpc/vpc-1")
LOG_GROUP = "arn:aws:logs:eu-west-1:111122223333:log-group:trail"
ROLE = iam("role/app")
PROFILE = iam("instance-profile/app")
LOGGING_TRAIL = make(
    AuditTrail,
    "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main",
    all_regions=True,
    logging=True,
    mgmt_read=True,
    mgmt_write=True,
    validated=True,
    encrypted_cmk=True,
    log_group_id=LOG_GROUP,
)
REGION_OK = make(
    RegionSettings,
    "aws:111122223333:eu-west-1",
    disk_encryption_by_default=True,
    serial_console_access=False,
)


def vm(name: str = "i-1", **fields: object) -> ComputeInstance:
    return make(ComputeInstance, ec2(f"instance/{name}"), state="running", **fields)  # type: ignore[arg-type]


def alert(classes: tuple[str, ...], name: str = "f", **fields: object) -> AlertRule:
    base: dict[str, object] = {
        "source_id": LOG_GROUP,
        "enabled": True,
        "targets": ("arn:aws:sns:eu-west-1:111122223333:ops",),
        "target_verified": True,
    }
    base.update(fields)
    return make(AlertRule, f"{LOG_GROUP}:metric-filter/{name}", event_classes=classes, **base)  # type: ignore[arg-type]


def root(**fields: object) -> Principal:
    return make(Principal, ROOT_ARN, region=GLOBAL, principal_kind="root", **fields)  # type: ignore[arg-type]


# The classes the alert checks require (checks.alerts owns the lists; test_monitoring
# pins them to the CIS items each check cites).
PRIVILEGED = PRIVILEGED_EVENTS
NETWORK = NETWORK_EVENTS

PASSING: dict[str, tuple[Entity, ...]] = {
    "any.firewall.world_ingress_all_ports": (WEB_SET, HTTPS),
    "any.firewall.world_ingress_admin_port": (WEB_SET, HTTPS),
    "any.network.default_constructs_restricted": (DEFAULT_SG,),
    "any.network.cross_tenant_link": (
        make(
            NetworkPeering,
            PCX,
            status="active",
            peer_account="444455556666",
            peer_cidrs=("10.1.0.0/16",),
        ),
        make(
            RouteTable,
            ec2("route-table/rtb-1"),
            routes=(Route("10.1.0.0/24", PCX), Route("0.0.0.0/0", "igw-1")),
        ),
    ),
    "any.image.publicly_shared": (
        make(MachineImage, "arn:aws:ec2:eu-west-1::image/ami-1", public=False),
        make(Snapshot, "arn:aws:ec2:eu-west-1::snapshot/snap-1", public=False),
    ),
    "any.compute.public_ip_attached": (
        vm(),
        make(Subnet, ec2("subnet/subnet-1"), network_id=VPC, auto_public_ip=False),
    ),
    "aws.ec2.imdsv2_required": (vm(metadata_v2_required=True),),
    "any.compute.boot_integrity": (vm(boot_mode="uefi", vtpm=True),),
    "any.disk.encrypted": (make(Disk, ec2("volume/vol-1"), encrypted=True), REGION_OK),
    "any.compute.login_hardened": (REGION_OK,),
    "any.compute.identity_least_privilege": (
        vm(identity_ref=PROFILE),
        make(Principal, ROLE, region=GLOBAL, principal_kind="role", aliases=(PROFILE,)),
        make(
            RoleBinding,
            f"{ROLE}#p",
            region=GLOBAL,
            principal_id=ROLE,
            principal_type="role",
            admin_equivalent=False,
        ),
    ),
    "any.principal.privileged_mfa": (
        root(mfa=True),
        make(
            Principal,
            iam("user/alice"),
            region=GLOBAL,
            principal_kind="human",
            console_access=True,
            mfa=True,
        ),
    ),
    "aws.iam.root_unused_no_keys": (
        root(mfa=True, last_sign_in=ago(200)),
        make(
            Credential,
            f"{ROOT_ARN}#access_key_1",
            region=GLOBAL,
            principal_id=ROOT_ARN,
            credential_kind="access_key",
            active=False,
        ),
    ),
    "any.rolebinding.standing_admin": (
        make(
            RoleBinding,
            f"{iam('user/alice')}#p",
            region=GLOBAL,
            principal_id=iam("user/alice"),
            principal_type="user",
            admin_equivalent=False,
        ),
    ),
    "any.credential.old_or_unused": (
        make(
            Credential,
            f"{iam('user/alice')}#access_key_1",
            region=GLOBAL,
            principal_id=iam("user/alice"),
            credential_kind="access_key",
            active=True,
            created_at=ago(10),
            last_used=ago(1),
        ),
    ),
    "any.alert.privileged_or_auth_event": (LOGGING_TRAIL, alert(PRIVILEGED)),
    "any.alert.network_change": (LOGGING_TRAIL, alert(NETWORK)),
    "any.audit_trail.complete": (LOGGING_TRAIL,),
    "any.audit_trail.tamper_resistant": (LOGGING_TRAIL,),
    "any.detector.threat_detection": (
        make(
            SecurityService,
            "arn:aws:guardduty:eu-west-1:111122223333:detector/d1",
            service_kind="threat_detection",
            enabled=True,
        ),
    ),
    "any.config_history.recording": (
        make(
            SecurityService,
            "arn:aws:config:eu-west-1:111122223333:config-recorder/default",
            service_kind="config_recorder",
            enabled=True,
            all_resources=True,
        ),
    ),
    "any.network.flow_logs_enabled": (
        make(Network, VPC, is_default=False),
        make(
            FlowLogConfig,
            ec2("vpc-flow-log/fl-1"),
            target_type="network",
            target_id=VPC,
            enabled=True,
            traffic_type="ALL",
        ),
    ),
    "any.subnet.filtering_attached": (
        WEB_SET,
        make(
            NetworkInterface,
            ec2("network-interface/eni-1"),
            attached_to=ec2("instance/i-1"),
            firewall_set_ids=(SG,),
        ),
    ),
    "any.compute.ip_forwarding_disabled": (vm(ip_forwarding=False),),
}
