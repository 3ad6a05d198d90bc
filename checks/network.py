"""Network segregation and visibility: default groups, peering routes, flow logs, filtering."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from checks import _gcp
from checks._common import (
    label,
    not_reported,
    of_providers,
    scanned_regions,
    short_id,
    unseen,
)
from scanner.inventory import (
    FirewallRule,
    FirewallRuleSet,
    FlowLogConfig,
    Inventory,
    Network,
    NetworkInterface,
    NetworkPeering,
    RouteTable,
    SecurityService,
    Subnet,
)
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@check(
    id="any.network.default_constructs_restricted",
    title="Default security groups allow no traffic; no default or legacy network exists",
    severity=Severity.MEDIUM,
    controls=("CLD.9.5.1", "CLD.13.1.4"),
    providers=("aws", "gcp"),
    needs=(FirewallRuleSet, FirewallRule, Network),
    rationale=(
        "Resources fall into the default security group when nobody chose one; if it admits "
        "traffic, workloads are connected to each other and to the outside without a decision. "
        "GCP's auto-created default network comes with rules admitting SSH, RDP and ICMP from "
        "anywhere, and legacy networks have no subnets, flow logs or private access."
    ),
    remediation={
        "aws": (
            "Remove every inbound and outbound rule of each VPC's default security group "
            "(`aws ec2 revoke-security-group-ingress` / `revoke-security-group-egress --group-id "
            "sg-...`) and give workloads purpose-made groups."
        ),
        "gcp": (
            "Move workloads to a custom-mode VPC network, then delete the default or legacy "
            "network with its firewall rules: `gcloud compute firewall-rules delete <rules>` "
            "and `gcloud compute networks delete default`; stop new projects getting one with "
            "the constraints/compute.skipDefaultNetworkCreation organization policy."
        ),
    },
    references=(
        "CIS AWS 3.0 5.4",
        "CIS AWS 4.0 5.5",
        "CIS GCP 2.0 3.1",
        "CIS GCP 2.0 3.2",
        "CIS GCP 3.0 3.1",
        "CIS GCP 3.0 3.2",
        "prowler:ec2_securitygroup_default_restrict_traffic",
        "prowler:compute_network_default_in_use",
        "prowler:compute_network_not_legacy",
    ),
)
def default_constructs_restricted(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for net in of_providers(inv, Network, ("gcp",)):
        yield _gcp.judge_network(net)
    rules: dict[str, list[FirewallRule]] = {}
    for rule in inv.of(FirewallRule):
        if rule.enabled:
            rules.setdefault(rule.set_id, []).append(rule)
    for fw_set in of_providers(inv, FirewallRuleSet, PROVIDERS):
        if fw_set.set_kind != "sg" or not fw_set.is_default:
            continue
        mine = rules.get(fw_set.id, [])
        if mine:
            ingress = sum(r.direction == "ingress" for r in mine)
            yield Result.failed(
                fw_set,
                f"default security group {label(fw_set)} has {ingress} inbound and "
                f"{len(mine) - ingress} outbound rule(s); it should have none",
                rules=[r.id for r in mine],
            )
        else:
            yield Result.passed(fw_set, f"default security group {label(fw_set)} has no rules")


@check(
    id="any.network.cross_tenant_link",
    title="Routes through network peerings are no wider than the peer's networks",
    severity=Severity.HIGH,
    controls=("CLD.9.5.1", "CLD.13.1.4"),
    providers=("aws", "azure", "gcp"),
    needs=(NetworkPeering, RouteTable),
    rationale=(
        "A peering joins two tenants' networks; a route wider than the peer's own ranges "
        "(a default route, a /8) sends traffic meant for elsewhere to the other tenant and "
        "makes the link broader than what was agreed."
    ),
    remediation={
        "aws": (
            "Replace wide routes through the peering with routes to the peer VPC's CIDR blocks "
            "only: `aws ec2 delete-route --route-table-id rtb-... --destination-cidr-block "
            "0.0.0.0/0` then `aws ec2 create-route ... --vpc-peering-connection-id pcx-...` "
            "for each peer CIDR."
        ),
        "azure": (
            "Confirm that the peered subscription belongs to your organisation and scan it "
            "too; otherwise remove the peering: `az network vnet peering delete -g <rg> "
            "--vnet-name <vnet> -n <peering>`."
        ),
        "gcp": (
            "Confirm that the peer project belongs to your organisation and scan it too; "
            "otherwise remove the peering: `gcloud compute networks peerings delete <peering> "
            "--network <network>`; restrict new ones with constraints/compute.restrictVpcPeering."
        ),
    },
    references=(
        "CIS AWS 3.0 5.5",
        "CIS AWS 4.0 5.6",
        "prowler:vpc_peering_routing_tables_with_least_privilege",
    ),
)
def cross_tenant_link(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    yield from _azure_peerings(inv)
    for gcp_peering in of_providers(inv, NetworkPeering, ("gcp",)):
        judged = _gcp.judge_peering(inv, gcp_peering)
        if judged is not None:
            yield judged
    tables = inv.of(RouteTable)
    for peering in of_providers(inv, NetworkPeering, PROVIDERS):
        if peering.status and peering.status.lower() != "active":
            continue
        targets = {peering.id, short_id(peering.id)}
        routes = [
            {"route_table": table.id, "destination": route.destination}
            for table in tables
            for route in table.routes
            if route.target in targets
        ]
        evidence: dict[str, Any] = {
            "peer_account": peering.peer_account,
            "peer_cidrs": list(peering.peer_cidrs),
        }
        if routes and not peering.peer_cidrs:
            yield Result.error(
                peering,
                f"peering {label(peering)}: the peer's CIDR blocks were not reported; "
                "cannot judge its routes",
                routes=routes,
                **evidence,
            )
            continue
        peers = [ipaddress.ip_network(c, strict=False) for c in peering.peer_cidrs]
        wide = [r for r in routes if not _within(r["destination"], peers)]
        if wide:
            yield Result.failed(
                peering,
                f"peering {label(peering)} to account {peering.peer_account} is routed wider "
                f"than the peer's {', '.join(peering.peer_cidrs)}: "
                + ", ".join(sorted({r["destination"] for r in wide})),
                offending_routes=wide,
                **evidence,
            )
        else:
            yield Result.passed(
                peering,
                f"peering {label(peering)} routes only the peer's own CIDR blocks",
                routes=routes,
                **evidence,
            )


def _azure_peerings(inv: Inventory) -> Iterator[Result]:
    """Azure: a VNet peering to a subscription that was not scanned links to a stranger."""
    known = {s.account for s in inv.scopes if s.provider == "azure"}
    for peering in of_providers(inv, NetworkPeering, ("azure",)):
        if peering.status.lower() == "disconnected":
            continue
        evidence: dict[str, Any] = {
            "peer_account": peering.peer_account,
            "peer_network": peering.peer_network_id,
            "peer_cidrs": list(peering.peer_cidrs),
            "transit": peering.transit,
            "scanned_subscriptions": sorted(known),
        }
        if not peering.peer_account:
            yield not_reported(peering, "the peered subscription")
        elif peering.peer_account.lower() in known:
            yield Result.passed(
                peering,
                f"peering {label(peering)} links to scanned subscription {peering.peer_account}",
                **evidence,
            )
        else:
            yield Result.failed(
                peering,
                f"peering {label(peering)} links to subscription {peering.peer_account}, "
                "which is not among the scanned subscriptions"
                + (" and forwards or shares gateway traffic" if peering.transit else ""),
                **evidence,
            )


def _within(destination: str, peers: list[IpNetwork]) -> bool:
    try:
        dest = ipaddress.ip_network(destination, strict=False)
    except ValueError:
        return False  # a prefix list or other target we cannot show to be narrow
    return any(
        dest.version == peer.version and dest.subnet_of(peer)  # type: ignore[arg-type]
        for peer in peers
    )


@check(
    id="any.network.flow_logs_enabled",
    title="Every network records flow logs, including rejected traffic",
    severity=Severity.HIGH,
    controls=("CLD.13.1.4", "CLD.12.4.5"),
    providers=("aws", "azure", "gcp"),
    needs=(Network, Subnet, FlowLogConfig, "security_service:network_watcher"),
    rationale=(
        "Flow logs are the virtual network's equivalent of a physical network's traffic "
        "records; without them an intrusion or exfiltration cannot be traced, and without "
        "rejected traffic the scans and attempts the filters stopped go unseen."
    ),
    remediation={
        "aws": (
            "Enable VPC flow logs: `aws ec2 create-flow-logs --resource-type VPC --resource-ids "
            "vpc-... --traffic-type ALL --log-destination-type cloud-watch-logs "
            "--log-group-name vpc-flow --deliver-logs-permission-arn arn:aws:iam::...:role/...`."
        ),
        "azure": (
            "Create a network watcher in every region in use (`az network watcher configure "
            "--locations <region> --enabled true -g NetworkWatcherRG`) and a VNet flow log for "
            "each virtual network (NSG flow logs retire in 2027): `az network watcher flow-log "
            "create --location <region> -n <name> --vnet <vnet-id> --storage-account <id>`."
        ),
        "gcp": (
            "Turn on flow logs for every subnet: `gcloud compute networks subnets update "
            "<subnet> --region <region> --enable-flow-logs --logging-metadata=include-all`."
        ),
    },
    references=(
        "CIS AWS 3.0 3.7",
        "CIS AWS 4.0 3.7",
        "CIS Azure 2.1 5.1.5",
        "CIS Azure 2.1 6.6",
        "CIS Azure 3.0 6.1.5",
        "CIS Azure 3.0 7.6",
        "prowler:vpc_flow_logs_enabled",
        "prowler:network_flow_log_captured_sent",
        "prowler:network_watcher_enabled",
        "CIS GCP 2.0 3.8",
        "CIS GCP 3.0 3.8",
        "prowler:compute_subnet_flow_logs_enabled",
    ),
)
def flow_logs_enabled(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    logs: dict[str, list[FlowLogConfig]] = {}
    for flow in inv.of(FlowLogConfig):
        logs.setdefault(flow.target_id, []).append(flow)
    subnets: dict[str, list[Subnet]] = {}
    for subnet in inv.of(Subnet):
        subnets.setdefault(subnet.network_id, []).append(subnet)

    def state(target: str) -> bool | None:
        """True if a log records its rejected traffic, None if only unreported ones might."""
        flags = [records_rejects(f) for f in logs.get(target, [])]
        if True in flags:
            return True
        return None if None in flags else False

    def accept_only(targets: list[str]) -> list[str]:
        return sorted(
            short_id(t)
            for t in targets
            if any(f.enabled is not False and _accept_only(f) for f in logs.get(t, []))
        )

    yield from _azure_flow_logs(inv, logs, subnets)
    yield from _azure_watchers(inv)
    yield from _gcp.subnet_flow_logs(inv)
    for net in of_providers(inv, Network, PROVIDERS):
        own = state(net.id)
        if own:
            yield Result.passed(
                net,
                f"network {label(net)} has flow logs recording rejected traffic",
                level="network",
                traffic_types=_traffic_types(logs.get(net.id, [])),
            )
            continue
        mine = subnets.get(net.id, [])
        per_subnet = {s.id: state(s.id) for s in mine}
        if mine and all(per_subnet.values()):
            yield Result.passed(
                net,
                f"every subnet of network {label(net)} has flow logs recording rejected traffic",
                level="subnet",
            )
            continue
        missing = sorted(short_id(i) for i, v in per_subnet.items() if v is False)
        if own is None or (not missing and None in per_subnet.values()):
            yield Result.error(
                net,
                f"network {label(net)}: the state or traffic type of its flow logs was not "
                "reported",
                subnets_unknown=sorted(short_id(i) for i, v in per_subnet.items() if v is None),
                traffic_types=_traffic_types(logs.get(net.id, [])),
            )
            continue
        if unseen(inv, net.provider, net.account, net.region, (FlowLogConfig.kind, Subnet.kind)):
            continue
        accepting = accept_only([net.id, *(s.id for s in mine if per_subnet[s.id] is False)])
        subnets_note = f"{len(missing)} of {len(mine)} subnets" if mine else ""
        yield Result.failed(
            net,
            (
                f"network {label(net)} has no flow log recording rejected traffic: the logs of "
                f"{', '.join(accepting)} capture ACCEPT only (need ALL or REJECT)"
                + (f"; {subnets_note} lack one" if mine else "")
            )
            if accepting
            else (
                f"network {label(net)} has no enabled flow log"
                + (f" ({subnets_note} have none either)" if mine else "")
            ),
            subnets_without=missing,
            accept_only=accepting,
            traffic_types=_traffic_types(logs.get(net.id, [])),
        )


def _azure_flow_logs(
    inv: Inventory, logs: dict[str, list[FlowLogConfig]], subnets: dict[str, list[Subnet]]
) -> Iterator[Result]:
    """Azure: a VNet flow log, or a flow log on every subnet or on every subnet's NSG."""

    def state(target: str) -> bool | None:
        flags = [records_rejects(f) for f in logs.get(target, [])]
        return True if True in flags else (None if None in flags else False)

    def subnet_state(subnet: Subnet) -> bool | None:
        flags = [state(subnet.id), *(state(i) for i in subnet.filter_policy_ids)]
        return True if True in flags else (None if None in flags else False)

    for net in of_providers(inv, Network, ("azure",)):
        own = state(net.id)
        if own:
            yield Result.passed(
                net, f"virtual network {label(net)} has an enabled VNet flow log", level="network"
            )
            continue
        mine = subnets.get(net.id, [])
        per_subnet = {s.id: subnet_state(s) for s in mine}
        if mine and all(per_subnet.values()):
            yield Result.passed(
                net,
                f"every subnet of virtual network {label(net)} is covered by a subnet or NSG "
                "flow log",
                level="subnet",
            )
            continue
        missing = sorted(short_id(i) for i, v in per_subnet.items() if v is False)
        if own is None or (not missing and None in per_subnet.values()):
            yield Result.error(
                net,
                f"virtual network {label(net)}: whether its flow logs are enabled was not reported",
                subnets_unknown=sorted(short_id(i) for i, v in per_subnet.items() if v is None),
            )
            continue
        if unseen(inv, net.provider, net.account, net.region, (FlowLogConfig.kind, Subnet.kind)):
            continue
        yield Result.failed(
            net,
            f"virtual network {label(net)} has no enabled VNet flow log"
            + (
                f" and {len(missing)} of {len(mine)} subnets have no subnet or NSG flow log"
                if mine
                else ""
            ),
            subnets_without=missing,
        )


WATCHER_KIND = "security_service:network_watcher"


def _azure_watchers(inv: Inventory) -> Iterator[Result]:
    """Azure: flow logs need a network watcher in each region in use."""
    watchers = [
        s
        for s in of_providers(inv, SecurityService, ("azure",))
        if s.service_kind == "network_watcher"
    ]
    for scope, region in scanned_regions(inv, ("azure",)):
        mine = [w for w in watchers if w.account == scope.account and w.region == region]
        states = [w.enabled for w in mine]
        ref = scope.region_ref(region)
        where = f"{scope.account}/{region}"
        evidence: dict[str, Any] = {"network_watchers": {w.id: w.enabled for w in mine}}
        if True in states:
            yield Result.passed(ref, f"a network watcher is enabled in {where}", **evidence)
        elif None in states:
            yield Result.error(
                ref, f"{where}: the network watcher's state was not reported", **evidence
            )
        elif unseen(inv, scope.provider, scope.account, region, (WATCHER_KIND, FlowLogConfig.kind)):
            continue
        else:
            yield Result.failed(
                ref,
                f"no enabled network watcher in {where}"
                + (" (provisioning did not succeed)" if mine else ""),
                **evidence,
            )


_REJECT_TYPES = frozenset({"ALL", "REJECT"})


def records_rejects(flow: FlowLogConfig) -> bool | None:
    """Whether an enabled log captures rejected traffic (CIS: ALL or REJECT); None if unknown."""
    traffic = flow.traffic_type.strip().upper()
    if flow.enabled is False or (traffic and traffic not in _REJECT_TYPES):
        return False
    if flow.enabled is None or not traffic:
        return None
    return True


def _accept_only(flow: FlowLogConfig) -> bool:
    traffic = flow.traffic_type.strip().upper()
    return bool(traffic) and traffic not in _REJECT_TYPES


def _traffic_types(flows: list[FlowLogConfig]) -> list[str]:
    return sorted({f.traffic_type for f in flows if f.enabled is not False and f.traffic_type})


@check(
    id="any.subnet.filtering_attached",
    title="Attached network interfaces are filtered by a purpose-made firewall set",
    severity=Severity.HIGH,
    controls=("CLD.13.1.4", "CLD.9.5.1"),
    providers=("aws", "azure"),
    needs=(NetworkInterface, FirewallRuleSet, Subnet),
    rationale=(
        "An interface guarded only by the default security group has no filtering that "
        "anyone designed for it; the virtual network then lacks the segmentation the "
        "physical network policy requires."
    ),
    remediation={
        "aws": (
            "Attach a security group made for the workload and detach the default one: "
            "`aws ec2 modify-network-interface-attribute --network-interface-id eni-... "
            "--groups sg-...`."
        ),
        "azure": (
            "Associate a network security group with the subnet: `az network vnet subnet "
            "update -g <rg> --vnet-name <vnet> -n <subnet> --network-security-group <nsg>` "
            "(platform subnets such as GatewaySubnet and AzureFirewallSubnet are exempt)."
        ),
    },
    references=("prowler:network_subnet_nsg_associated",),
)
def filtering_attached(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for subnet in of_providers(inv, Subnet, ("azure",)):
        if subnet.purpose:
            yield Result.passed(
                subnet,
                f"subnet {label(subnet)} is the platform subnet {subnet.purpose} (exempt)",
                exempt=True,
            )
        elif subnet.filter_policy_ids:
            yield Result.passed(
                subnet,
                f"subnet {label(subnet)} is filtered by NSG "
                + ", ".join(map(short_id, subnet.filter_policy_ids)),
                nsgs=list(subnet.filter_policy_ids),
            )
        else:
            yield Result.failed(subnet, f"subnet {label(subnet)} has no NSG", nsgs=[])
    for eni in of_providers(inv, NetworkInterface, PROVIDERS):
        if not eni.attached_to:
            continue
        sets = {i: inv.get(i, FirewallRuleSet) for i in eni.firewall_set_ids}
        purpose_made = [i for i, s in sets.items() if s is not None and not s.is_default]
        unknown = [i for i, s in sets.items() if s is None]
        if purpose_made:
            yield Result.passed(
                eni,
                f"interface {label(eni)} is filtered by {', '.join(map(short_id, purpose_made))}",
                firewall_sets=list(eni.firewall_set_ids),
            )
        elif unknown:
            yield Result.error(
                eni,
                f"interface {label(eni)}: firewall set(s) {', '.join(map(short_id, unknown))} "
                "were not collected; cannot tell whether they are defaults",
                firewall_sets=list(eni.firewall_set_ids),
            )
        else:
            yield Result.failed(
                eni,
                f"interface {label(eni)} of {short_id(eni.attached_to)} is filtered only by "
                "the default security group"
                if sets
                else f"interface {label(eni)} of {short_id(eni.attached_to)} has no firewall set",
                severity=Severity.LOW if eni.provider == "aws" else None,
                firewall_sets=list(eni.firewall_set_ids),
            )
