"""Every check with an Azure instance: a clean Azure subscription PASSes; a gap on any kind
the check needs turns the subscription into ERROR with no PASS left."""

from __future__ import annotations

import pytest

from checks.alerts import AZURE_NETWORK_OPERATIONS, AZURE_PRIVILEGED_OPERATIONS
from checks.audit import AZURE_CATEGORIES
from checks.detection import AZURE_PLANS
from scanner.inventory import (
    GLOBAL,
    AlertRule,
    AuditTrail,
    ComputeInstance,
    Disk,
    Entity,
    FlowLogConfig,
    LoginSettings,
    Network,
    NetworkPeering,
    RoleBinding,
    SecurityService,
    Subnet,
)
from scanner.registry import load_checks
from scanner.results import Status
from tests.checks.azure_builders import (
    SUB,
    SUB_ID,
    arm,
    az,
    az_gap,
    az_run,
    default_inbound,
    nsg,
    nsg_rule,
)

VM = arm("microsoft.compute/virtualmachines/vm1")
VNET = arm("microsoft.network/virtualnetworks/vnet1")
SUBNET = f"{VNET}/subnets/web"
NSG = nsg("web-nsg", SUBNET)
HTTPS = nsg_rule(NSG.id, "https", 100, ports=(443, 443))
GOOD_VM = az(
    ComputeInstance,
    VM,
    state="vm running",
    os_type="linux",
    security_type="TrustedLaunch",
    secure_boot=True,
    vtpm=True,
    login=LoginSettings(password_auth=False),
    ip_forwarding=False,
)
ACTION_GROUP = arm("microsoft.insights/actiongroups/ops")


def alerts(operations: tuple[str, ...]) -> tuple[AlertRule, ...]:
    return tuple(
        az(
            AlertRule,
            arm(f"microsoft.insights/activitylogalerts/a{n}"),
            region=GLOBAL,
            match_expr=f"category=Administrative && operationName={op}",
            source_id=SUB_ID,
            scopes=(SUB_ID,),
            enabled=True,
            targets=(ACTION_GROUP,),
            target_verified=True,
        )
        for n, op in enumerate(operations)
    )


AZURE_PASSING: dict[str, tuple[Entity, ...]] = {
    "any.firewall.world_ingress_all_ports": (NSG, HTTPS, *default_inbound(NSG.id)),
    "any.firewall.world_ingress_admin_port": (NSG, HTTPS, *default_inbound(NSG.id)),
    "any.network.cross_tenant_link": (
        az(
            NetworkPeering,
            f"{VNET}/virtualnetworkpeerings/hub",
            local_network_id=VNET,
            peer_account=SUB,
            status="connected",
        ),
    ),
    "any.image.publicly_shared": (
        az(Disk, arm("microsoft.compute/disks/d1"), managed=True, public_access=False),
    ),
    "any.compute.public_ip_attached": (GOOD_VM,),
    "any.compute.boot_integrity": (GOOD_VM,),
    "any.disk.encrypted": (
        az(Disk, arm("microsoft.compute/disks/d1"), managed=True, encrypted=True),
    ),
    "any.compute.login_hardened": (GOOD_VM,),
    "any.compute.identity_least_privilege": (GOOD_VM,),
    "any.rolebinding.standing_admin": (
        az(
            RoleBinding,
            f"{SUB_ID}/providers/microsoft.authorization/roleassignments/r1",
            region=GLOBAL,
            principal_id="aaaaaaaa-0000-0000-0000-000000000001",
            principal_type="user",
            role_name="Reader",
            scope_level="subscription",
            admin_equivalent=False,
        ),
    ),
    "any.alert.privileged_or_auth_event": alerts(AZURE_PRIVILEGED_OPERATIONS),
    "any.alert.network_change": alerts(AZURE_NETWORK_OPERATIONS),
    "any.audit_trail.complete": (
        az(
            AuditTrail,
            f"{SUB_ID}/providers/microsoft.insights/diagnosticsettings/export",
            region=GLOBAL,
            categories=AZURE_CATEGORIES,
            store_id=arm("microsoft.storage/storageaccounts/logs"),
        ),
    ),
    "any.detector.threat_detection": (
        az(
            SecurityService,
            f"{SUB_ID}/providers/microsoft.security/pricings",
            region=GLOBAL,
            service_kind="threat_detection",
            features=dict.fromkeys(AZURE_PLANS, "Standard"),
        ),
    ),
    "any.network.flow_logs_enabled": (
        az(Network, VNET),
        az(
            FlowLogConfig,
            arm("microsoft.network/networkwatchers/nw/flowlogs/vnet1", rg="networkwatcherrg"),
            target_id=VNET,
            target_type="network",
            enabled=True,
            traffic_type="ALL",
        ),
        az(
            SecurityService,
            arm("microsoft.network/networkwatchers/nw", rg="networkwatcherrg"),
            service_kind="network_watcher",
            enabled=True,
        ),
    ),
    "any.subnet.filtering_attached": (
        az(Subnet, SUBNET, network_id=VNET, filter_policy_ids=(NSG.id,)),
    ),
    "any.compute.ip_forwarding_disabled": (GOOD_VM,),
    "any.audit_trail.tamper_resistant": (
        az(
            AuditTrail,
            f"{SUB_ID}/providers/microsoft.insights/diagnosticsettings/archive",
            region=GLOBAL,
            categories=AZURE_CATEGORIES,
            store_id=arm("microsoft.storage/storageaccounts/logs"),
            encrypted_cmk=True,
            store_public=False,
        ),
    ),
    "any.config_history.recording": (
        az(
            SecurityService,
            f"{SUB_ID}/providers/microsoft.authorization/policyassignments",
            region=GLOBAL,
            service_kind="config_recorder",
            enabled=True,
            all_resources=True,
            features={f"{SUB_ID}/providers/x/policyassignments/mcsb": "Default"},
        ),
    ),
}
CHECKS = load_checks(plugins=False)


def test_every_check_with_azure_has_a_passing_azure_case() -> None:
    with_azure = sorted(k for k, c in CHECKS.items() if "azure" in c.providers)
    assert sorted(AZURE_PASSING) == with_azure


def test_checks_with_no_azure_concept_do_not_run_on_azure() -> None:
    for check_id in (
        "aws.ec2.imdsv2_required",
        "aws.iam.root_unused_no_keys",
        "any.network.default_constructs_restricted",
        "any.principal.privileged_mfa",
    ):
        assert "azure" not in CHECKS[check_id].providers, check_id


@pytest.mark.parametrize("check_id", sorted(AZURE_PASSING))
def test_clean_subscription_passes_with_an_azure_remediation(check_id: str) -> None:
    findings = az_run(check_id, *AZURE_PASSING[check_id])
    assert findings, "a check must say something about a clean subscription"
    assert {f.status for f in findings} == {Status.PASS}, [f.message for f in findings]
    assert CHECKS[check_id].remediation_for("azure") != CHECKS[check_id].remediation_for("aws")
    assert any(r.startswith("CIS Azure") or "prowler:" in r for r in CHECKS[check_id].references)


@pytest.mark.parametrize(
    ("check_id", "kind"),
    [(cid, kind) for cid in sorted(AZURE_PASSING) for kind in CHECKS[cid].needed_kinds],
)
def test_gap_on_a_needed_kind_is_error_and_no_pass(check_id: str, kind: str) -> None:
    findings = az_run(check_id, *AZURE_PASSING[check_id], gaps=(az_gap((kind,)),))
    assert Status.PASS not in {f.status for f in findings}
    errors = [f for f in findings if f.status is Status.ERROR]
    assert errors and any("access_denied" in f.message for f in errors)


@pytest.mark.parametrize("check_id", sorted(AZURE_PASSING))
def test_gap_in_another_subscription_changes_nothing(check_id: str) -> None:
    other = az_gap(CHECKS[check_id].needed_kinds)
    elsewhere = type(other)(
        "azure",
        "ffffffff-0000-0000-0000-000000000000",
        GLOBAL,
        other.operation,
        other.kinds,
        other.reason,
        other.detail,
    )
    findings = az_run(check_id, *AZURE_PASSING[check_id], gaps=(elsewhere,))
    assert {f.status for f in findings if f.resource.account == SUB} == {Status.PASS}
