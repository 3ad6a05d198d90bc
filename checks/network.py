"""Network segregation and visibility: default groups, peering routes, flow logs, filtering."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from checks._common import label, of_providers, short_id, unseen
from scanner.inventory import (
    FirewallRule,
    FirewallRuleSet,
    FlowLogConfig,
    Inventory,
    Network,
    NetworkInterface,
    NetworkPeering,
    RouteTable,
    Subnet,
)
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@check(
    id="any.network.default_constructs_restricted",
    title="Default security groups allow no traffic",
    severity=Severity.MEDIUM,
    controls=("CLD.9.5.1", "CLD.13.1.4"),
    providers=PROVIDERS,
    needs=(FirewallRuleSet, FirewallRule),
    rationale=(
        "Resources fall into the default security group when nobody chose one; if it admits "
        "traffic, workloads are connected to each other and to the outside without a decision."
    ),
    remediation=(
        "Remove every inbound and outbound rule of each VPC's default security group "
        "(`aws ec2 revoke-security-group-ingress` / `revoke-security-group-egress --group-id "
        "sg-...`) and give workloads purpose-made groups."
    ),
    references=(
        "CIS AWS 3.0 5.4",
        "CIS AWS 4.0 5.5",
        "prowler:ec2_securitygroup_default_restrict_traffic",
    ),
)
def default_constructs_restricted(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
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
    providers=PROVIDERS,
    needs=(NetworkPeering, RouteTable),
    rationale=(
        "A peering joins two tenants' networks; a route wider than the peer's own ranges "
        "(a default route, a /8) sends traffic meant for elsewhere to the other tenant and "
        "makes the link broader than what was agreed."
    ),
    remediation=(
        "Replace wide routes through the peering with routes to the peer VPC's CIDR blocks "
        "only: `aws ec2 delete-route --route-table-id rtb-... --destination-cidr-block "
        "0.0.0.0/0` then `aws ec2 create-route ... --vpc-peering-connection-id pcx-...` "
        "for each peer CIDR."
    ),
    references=(
        "CIS AWS 3.0 5.5",
        "CIS AWS 4.0 5.6",
        "prowler:vpc_peering_routing_tables_with_least_privilege",
    ),
)
def cross_tenant_link(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
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
    providers=PROVIDERS,
    needs=(Network, Subnet, FlowLogConfig),
    rationale=(
        "Flow logs are the virtual network's equivalent of a physical network's traffic "
        "records; without them an intrusion or exfiltration cannot be traced, and without "
        "rejected traffic the scans and attempts the filters stopped go unseen."
    ),
    remediation=(
        "Enable VPC flow logs: `aws ec2 create-flow-logs --resource-type VPC --resource-ids "
        "vpc-... --traffic-type ALL --log-destination-type cloud-watch-logs "
        "--log-group-name vpc-flow --deliver-logs-permission-arn arn:aws:iam::...:role/...`."
    ),
    references=("CIS AWS 3.0 3.7", "CIS AWS 4.0 3.7", "prowler:vpc_flow_logs_enabled"),
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
    providers=PROVIDERS,
    needs=(NetworkInterface, FirewallRuleSet),
    rationale=(
        "An interface guarded only by the default security group has no filtering that "
        "anyone designed for it; the virtual network then lacks the segmentation the "
        "physical network policy requires."
    ),
    remediation=(
        "Attach a security group made for the workload and detach the default one: "
        "`aws ec2 modify-network-interface-attribute --network-interface-id eni-... "
        "--groups sg-...`."
    ),
    references=("prowler:network_subnet_nsg_associated",),
)
def filtering_attached(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
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
