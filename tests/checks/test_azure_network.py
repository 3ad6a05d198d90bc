"""Azure NSGs, peerings, flow logs, network watchers and subnet filtering."""

from __future__ import annotations

from scanner.inventory import (
    ComputeInstance,
    Entity,
    FlowLogConfig,
    Network,
    NetworkInterface,
    NetworkPeering,
    ScanScope,
    SecurityService,
    Subnet,
)
from scanner.results import Severity, Status
from tests.checks.azure_builders import (
    AZ_SCOPE,
    FOREIGN_SUB,
    LOCATION,
    OTHER_SUB,
    SUB,
    arm,
    az,
    az_gap,
    az_run,
    default_inbound,
    nsg,
    nsg_rule,
)
from tests.checks.builders import only, statuses

ALL = "any.firewall.world_ingress_all_ports"
ADMIN = "any.firewall.world_ingress_admin_port"
PUBLIC = "any.compute.public_ip_attached"
PEERING = "any.network.cross_tenant_link"
FLOW = "any.network.flow_logs_enabled"
FILTER = "any.subnet.filtering_attached"

VNET = arm("microsoft.network/virtualnetworks/vnet1")
SUBNET = f"{VNET}/subnets/web"
NIC = arm("microsoft.network/networkinterfaces/nic1")
VM = arm("microsoft.compute/virtualmachines/vm1")
SUBNET_NSG = nsg("subnet-nsg", SUBNET)
NIC_NSG = nsg("nic-nsg", NIC)
SSH_FROM_INTERNET = (22, 22)


def topology(*, public: bool = True, subnet_nsg: bool = True, nic_nsg: bool = True) -> list[Entity]:
    """A VM whose NIC sits in a subnet; each layer optionally has an NSG."""
    ips = ("20.1.2.3",) if public else ()
    sets = (*((NIC_NSG.id,) if nic_nsg else ()), *((SUBNET_NSG.id,) if subnet_nsg else ()))
    return [
        az(
            Subnet,
            SUBNET,
            network_id=VNET,
            filter_policy_ids=(SUBNET_NSG.id,) if subnet_nsg else (),
        ),
        az(
            NetworkInterface,
            NIC,
            attached_to=VM,
            subnet_id=SUBNET,
            network_id=VNET,
            firewall_set_ids=(NIC_NSG.id,) if nic_nsg else (),
            public_ips=ips,
        ),
        az(
            ComputeInstance,
            VM,
            state="vm running",
            subnet_id=SUBNET,
            network_id=VNET,
            network_interface_ids=(NIC,),
            firewall_set_ids=sets,
            public_ips=ips,
        ),
    ]


# --- NSG rules ---------------------------------------------------------------------------


def test_default_rules_alone_admit_nothing_from_the_internet() -> None:
    """AllowVnetInBound and AllowAzureLoadBalancerInBound are not world; DenyAllInBound is."""
    for check_id in (ALL, ADMIN):
        found = az_run(check_id, NIC_NSG, *default_inbound(NIC_NSG.id))
        assert statuses(found) == {NIC_NSG.id: Status.PASS}


def test_allow_any_from_internet_on_every_port_fails_critical() -> None:
    rule = nsg_rule(NIC_NSG.id, "open", 100, protocol="all", source="Internet")
    f = only(az_run(ALL, NIC_NSG, rule, *default_inbound(NIC_NSG.id)), NIC_NSG.id)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert f.evidence["set_kind"] == "nsg" and f.evidence["rules"][0]["id"] == rule.id
    assert "az network nsg rule" in f.remediation


def test_higher_priority_deny_shadows_a_later_allow() -> None:
    deny = nsg_rule(NIC_NSG.id, "deny-ssh", 100, access="deny", ports=SSH_FROM_INTERNET)
    allow = nsg_rule(NIC_NSG.id, "ssh", 200, ports=SSH_FROM_INTERNET, source="Internet")
    assert statuses(az_run(ADMIN, NIC_NSG, allow, deny)) == {NIC_NSG.id: Status.PASS}


def test_a_deny_with_a_larger_priority_number_does_not_help() -> None:
    allow = nsg_rule(NIC_NSG.id, "ssh", 100, ports=SSH_FROM_INTERNET, source="Any")
    deny = nsg_rule(NIC_NSG.id, "deny-ssh", 300, access="deny", ports=SSH_FROM_INTERNET)
    f = only(az_run(ADMIN, NIC_NSG, allow, deny), NIC_NSG.id)
    assert f.status is Status.FAIL and f.evidence["open_by_protocol"] == {"tcp": [22]}


def test_udp_rdp_from_the_internet_fails() -> None:
    rule = nsg_rule(NIC_NSG.id, "rdp-udp", 100, protocol="udp", ports=(3389, 3389))
    f = only(az_run(ADMIN, NIC_NSG, rule), NIC_NSG.id)
    assert f.status is Status.FAIL and f.evidence["open_by_protocol"] == {"udp": [3389]}


def test_private_source_and_outbound_rules_pass() -> None:
    rules = (
        nsg_rule(NIC_NSG.id, "corp", 100, ports=SSH_FROM_INTERNET, source="10.0.0.0/8"),
        nsg_rule(NIC_NSG.id, "out", 100, protocol="all", direction="egress"),
    )
    assert statuses(az_run(ADMIN, NIC_NSG, *rules)) == {NIC_NSG.id: Status.PASS}
    assert statuses(az_run(ALL, NIC_NSG, *rules)) == {NIC_NSG.id: Status.PASS}


def test_admin_port_is_critical_only_when_both_layers_admit_it_to_a_public_vm() -> None:
    subnet_ssh = nsg_rule(SUBNET_NSG.id, "ssh", 100, ports=SSH_FROM_INTERNET)
    base = [SUBNET_NSG, NIC_NSG, subnet_ssh, *default_inbound(NIC_NSG.id), *topology()]
    f = only(az_run(ADMIN, *base), SUBNET_NSG.id)
    # The NIC's NSG still drops the traffic: the rule is wrong, the VM is not reachable.
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert f.evidence["public_targets"] == []

    nic_ssh = nsg_rule(NIC_NSG.id, "ssh", 100, ports=SSH_FROM_INTERNET)
    found = az_run(ADMIN, *base, nic_ssh)
    assert statuses(found) == {SUBNET_NSG.id: Status.FAIL, NIC_NSG.id: Status.FAIL}
    for set_id in (SUBNET_NSG.id, NIC_NSG.id):
        f = only(found, set_id)
        assert f.severity is Severity.CRITICAL and f.evidence["public_targets"] == [VM]


# --- public IPs --------------------------------------------------------------------------


def test_public_vm_is_high_only_when_both_nsg_layers_admit_an_admin_port() -> None:
    subnet_ssh = nsg_rule(SUBNET_NSG.id, "ssh", 100, ports=SSH_FROM_INTERNET)
    nic_ssh = nsg_rule(NIC_NSG.id, "ssh", 100, ports=SSH_FROM_INTERNET)
    one_layer = az_run(PUBLIC, SUBNET_NSG, NIC_NSG, subnet_ssh, *topology())
    f = only(one_layer, VM)
    assert f.status is Status.FAIL and f.severity is Severity.MEDIUM
    assert f.evidence["admin_ports_open_to_world"] == []
    f = only(az_run(PUBLIC, SUBNET_NSG, NIC_NSG, subnet_ssh, nic_ssh, *topology()), VM)
    assert f.severity is Severity.HIGH and f.evidence["admin_ports_open_to_world"] == [22]


def test_a_missing_layer_does_not_filter() -> None:
    nic_ssh = nsg_rule(NIC_NSG.id, "ssh", 100, ports=SSH_FROM_INTERNET)
    f = only(az_run(PUBLIC, NIC_NSG, nic_ssh, *topology(subnet_nsg=False)), VM)
    assert f.evidence["admin_ports_open_to_world"] == [22]


def test_no_nsg_at_all_is_not_counted_as_an_open_admin_port() -> None:
    """Standard public IPs are closed inbound without an NSG (the filtering check FAILs)."""
    f = only(az_run(PUBLIC, *topology(subnet_nsg=False, nic_nsg=False)), VM)
    assert f.status is Status.FAIL and f.evidence["admin_ports_open_to_world"] == []


def test_vm_without_public_ip_passes_and_azure_subnets_are_not_judged_for_auto_assign() -> None:
    assert statuses(az_run(PUBLIC, *topology(public=False))) == {VM: Status.PASS}


def test_deallocated_vm_is_not_judged() -> None:
    stopped = az(ComputeInstance, VM, state="vm deallocated", public_ips=("20.1.2.3",))
    assert az_run(PUBLIC, stopped) == []


# --- peerings ----------------------------------------------------------------------------


def peering(peer_sub: str, *, status: str = "connected", transit: bool = False) -> NetworkPeering:
    return az(
        NetworkPeering,
        f"{VNET}/virtualnetworkpeerings/to-{peer_sub[:4]}",
        local_network_id=VNET,
        peer_network_id=arm("microsoft.network/virtualnetworks/hub", sub=peer_sub),
        peer_account=peer_sub,
        peer_cidrs=("10.9.0.0/16",),
        status=status,
        transit=transit,
    )


TWO_SUBS = (AZ_SCOPE, ScanScope("azure", OTHER_SUB, f"/subscriptions/{OTHER_SUB}", regions=()))


def test_peering_to_a_scanned_subscription_passes() -> None:
    p = peering(OTHER_SUB)
    assert statuses(az_run(PEERING, p, scopes=TWO_SUBS)) == {p.id: Status.PASS}
    own = peering(SUB)
    assert statuses(az_run(PEERING, own)) == {own.id: Status.PASS}


def test_peering_to_a_foreign_subscription_fails() -> None:
    p = peering(FOREIGN_SUB, transit=True)
    f = only(az_run(PEERING, p, scopes=TWO_SUBS), p.id)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert FOREIGN_SUB in f.message and "forwards" in f.message
    assert f.evidence["scanned_subscriptions"] == sorted([SUB, OTHER_SUB])


def test_disconnected_peering_is_skipped_and_unknown_peer_is_error() -> None:
    assert az_run(PEERING, peering(FOREIGN_SUB, status="disconnected")) == []
    p = peering("")
    assert statuses(az_run(PEERING, p)) == {p.id: Status.ERROR}


# --- flow logs and network watchers ------------------------------------------------------

WATCHER = az(
    SecurityService,
    arm("microsoft.network/networkwatchers/networkwatcher_westeurope", rg="networkwatcherrg"),
    service_kind="network_watcher",
    enabled=True,
)
REGION_REF = AZ_SCOPE.region_ref(LOCATION).id


def flow(target: str, target_type: str, enabled: bool | None = True) -> FlowLogConfig:
    return az(
        FlowLogConfig,
        f"{WATCHER.id}/flowlogs/{target.rsplit('/', 1)[-1]}",
        target_id=target,
        target_type=target_type,
        enabled=enabled,
        traffic_type="ALL",
    )


def vnet_with_subnet(nsg_id: str | None = None) -> list[Entity]:
    return [
        az(Network, VNET, cidrs=("10.0.0.0/16",)),
        az(Subnet, SUBNET, network_id=VNET, filter_policy_ids=(nsg_id,) if nsg_id else ()),
    ]


def test_vnet_flow_log_and_watcher_pass() -> None:
    found = az_run(FLOW, WATCHER, *vnet_with_subnet(), flow(VNET, "network"))
    assert statuses(found) == {VNET: Status.PASS, REGION_REF: Status.PASS}


def test_nsg_flow_logs_on_every_subnet_nsg_pass() -> None:
    found = az_run(
        FLOW, WATCHER, *vnet_with_subnet(SUBNET_NSG.id), flow(SUBNET_NSG.id, "firewall_rule_set")
    )
    assert statuses(found)[VNET] is Status.PASS


def test_disabled_or_missing_flow_log_fails_naming_the_subnets() -> None:
    found = az_run(FLOW, WATCHER, *vnet_with_subnet(), flow(VNET, "network", enabled=False))
    f = only(found, VNET)
    assert f.status is Status.FAIL and f.evidence["subnets_without"] == ["web"]
    assert statuses(az_run(FLOW, WATCHER, *vnet_with_subnet()))[VNET] is Status.FAIL


def test_unreported_flow_log_state_is_error() -> None:
    found = az_run(FLOW, WATCHER, *vnet_with_subnet(), flow(VNET, "network", enabled=None))
    assert statuses(found)[VNET] is Status.ERROR


def test_region_without_network_watcher_fails_and_unknown_state_is_error() -> None:
    found = az_run(FLOW, *vnet_with_subnet(), flow(VNET, "network"))
    f = only(found, REGION_REF)
    assert f.status is Status.FAIL and LOCATION in f.message
    unknown = az(SecurityService, WATCHER.id, service_kind="network_watcher", enabled=None)
    assert statuses(az_run(FLOW, unknown))[REGION_REF] is Status.ERROR


def test_a_flow_log_gap_is_error_not_fail() -> None:
    found = az_run(FLOW, az(Network, VNET), gaps=(az_gap(("flow_log_config",)),))
    assert {f.status for f in found} == {Status.ERROR}


# --- subnet filtering --------------------------------------------------------------------


def test_subnet_without_nsg_fails_and_with_nsg_passes() -> None:
    bare = az(Subnet, SUBNET, network_id=VNET)
    f = only(az_run(FILTER, bare), SUBNET)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    guarded = az(Subnet, SUBNET, network_id=VNET, filter_policy_ids=(SUBNET_NSG.id,))
    assert statuses(az_run(FILTER, guarded)) == {SUBNET: Status.PASS}


def test_platform_subnets_are_exempt() -> None:
    gw = az(Subnet, f"{VNET}/subnets/gatewaysubnet", network_id=VNET, purpose="GatewaySubnet")
    f = only(az_run(FILTER, gw), gw.id)
    assert f.status is Status.PASS and f.evidence["exempt"] is True


def test_subnet_gap_is_error() -> None:
    found = az_run(FILTER, gaps=(az_gap(("subnet",)),))
    assert {f.status for f in found} == {Status.ERROR}
    assert found[0].resource.account == SUB


def test_critical_only_for_the_nsg_on_the_path_that_is_open() -> None:
    """NIC1's NSG opens SSH to a public VM; NIC2's NSG opens it too, but NIC2's subnet NSG
    drops it: only NIC1's NSG guards an exposed path."""
    nic2 = arm("microsoft.network/networkinterfaces/nic2")
    subnet2 = f"{VNET}/subnets/back"
    nsg_a, nsg_b, nsg_c = nsg("a", NIC), nsg("b", nic2), nsg("c", subnet2)
    entities = [
        nsg_a,
        nsg_b,
        nsg_c,
        nsg_rule(nsg_a.id, "ssh", 100, ports=SSH_FROM_INTERNET),
        nsg_rule(nsg_b.id, "ssh", 100, ports=SSH_FROM_INTERNET),
        *default_inbound(nsg_c.id),
        az(Subnet, SUBNET, network_id=VNET),
        az(Subnet, subnet2, network_id=VNET, filter_policy_ids=(nsg_c.id,)),
        az(
            NetworkInterface,
            NIC,
            attached_to=VM,
            subnet_id=SUBNET,
            firewall_set_ids=(nsg_a.id,),
            public_ips=("20.1.2.3",),
        ),
        az(NetworkInterface, nic2, attached_to=VM, subnet_id=subnet2, firewall_set_ids=(nsg_b.id,)),
        az(
            ComputeInstance,
            VM,
            state="vm running",
            subnet_id=SUBNET,
            network_interface_ids=(NIC, nic2),
            firewall_set_ids=(nsg_a.id, nsg_b.id, nsg_c.id),
            public_ips=("20.1.2.3",),
        ),
    ]
    found = az_run(ADMIN, *entities)
    assert only(found, nsg_a.id).severity is Severity.CRITICAL
    assert only(found, nsg_b.id).severity is Severity.HIGH
    assert only(found, nsg_c.id).status is Status.PASS
