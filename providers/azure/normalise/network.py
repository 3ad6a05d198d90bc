"""NICs, NSGs and their rules, virtual networks, subnets, peerings, watchers, flow logs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from providers.azure.normalise.common import (
    base,
    enum_str,
    get,
    lid,
    ref_ids,
    subscription_of,
)
from scanner.inventory import (
    ALL_PORTS,
    Entity,
    FirewallRule,
    FirewallRuleSet,
    FlowLogConfig,
    Network,
    NetworkInterface,
    NetworkPeering,
    PortRange,
    SecurityService,
    Subnet,
)

WORLD_SOURCES = frozenset({"*", "0.0.0.0/0", "0.0.0.0", "::/0", "internet", "any"})
PLATFORM_SUBNETS = {
    name.lower(): name
    for name in (
        "GatewaySubnet",
        "AzureFirewallSubnet",
        "AzureFirewallManagementSubnet",
        "AzureBastionSubnet",
        "RouteServerSubnet",
    )
}


def network_of(subnet_id: str) -> str:
    """The VNet id of a subnet id (``.../virtualnetworks/<name>``)."""
    head, sep, _ = subnet_id.lower().partition("/subnets/")
    return head if sep else ""


def _primary_ipconfig(nic: Any) -> Any:
    configs = list(get(nic, "ip_configurations") or ())
    return next((c for c in configs if get(c, "primary")), configs[0] if configs else None)


def public_ip_refs(nic: Any) -> tuple[str, ...]:
    return ref_ids(get(c, "public_ip_address") for c in get(nic, "ip_configurations") or ())


def network_interface(nic: Any, sub: str, addresses: Mapping[str, str | None]) -> NetworkInterface:
    """A NIC; ``addresses`` maps lowercased public IP ids to their address (if any)."""
    subnet_id = lid(get(_primary_ipconfig(nic), "subnet", "id"))
    nsg = lid(get(nic, "network_security_group", "id"))
    return NetworkInterface(
        **base(nic, sub),
        attached_to=lid(get(nic, "virtual_machine", "id")) or None,
        subnet_id=subnet_id or None,
        network_id=network_of(subnet_id) or None,
        firewall_set_ids=(nsg,) if nsg else (),
        public_ips=tuple(addresses.get(p) or p for p in public_ip_refs(nic)),
        ip_forwarding=get(nic, "enable_ip_forwarding"),
        interface_type=enum_str(get(nic, "nic_type")).lower(),
    )


def parse_ports(rule: Any) -> tuple[PortRange, ...]:
    """Destination ports: ``*`` is every port, ``22`` one port, ``1000-2000`` a range."""
    values = [get(rule, "destination_port_range"), *(get(rule, "destination_port_ranges") or ())]
    ranges: list[PortRange] = []
    for value in values:
        text = str(value or "").strip()
        if not text:
            continue
        if text == "*":
            return (ALL_PORTS,)
        low, _, high = text.partition("-")
        try:
            ranges.append(PortRange(int(low), int(high or low)))
        except ValueError:
            continue
    return tuple(ranges) or (ALL_PORTS,)


def protocol(value: Any) -> str:
    text = enum_str(value).strip().lower()
    return "all" if text in ("*", "", "any") else text


def security_rule(rule: Any, sub: str, nsg: Entity) -> FirewallRule:
    sources = [get(rule, "source_address_prefix"), *(get(rule, "source_address_prefixes") or ())]
    sources += [lid(get(g, "id")) for g in get(rule, "source_application_security_groups") or ()]
    source_list = tuple(dict.fromkeys(str(s) for s in sources if s))
    targets = [
        get(rule, "destination_address_prefix"),
        *(get(rule, "destination_address_prefixes") or ()),
        *(lid(get(g, "id")) for g in get(rule, "destination_application_security_groups") or ()),
    ]
    return FirewallRule(
        id=lid(get(rule, "id")) or f"{nsg.id}/securityrules/{str(get(rule, 'name')).lower()}",
        provider=nsg.provider,
        account=sub,
        region=nsg.region,
        name=str(get(rule, "name") or ""),
        set_id=nsg.id,
        set_kind="nsg",
        direction="ingress" if enum_str(get(rule, "direction")).lower() == "inbound" else "egress",
        action="allow" if enum_str(get(rule, "access")).lower() == "allow" else "deny",
        priority=get(rule, "priority"),
        protocol=protocol(get(rule, "protocol")),
        ports=parse_ports(rule),
        sources=source_list,
        source_is_world=any(s.lower() in WORLD_SOURCES for s in source_list),
        targets=tuple(str(t) for t in targets if t),
        enabled=True,
    )


def security_group(group: Any, sub: str) -> Iterator[Entity]:
    """An NSG and every rule in it, custom and default."""
    nsg = FirewallRuleSet(
        **base(group, sub),
        set_kind="nsg",
        network_id=None,
        is_default=False,
        attached_to=ref_ids(get(group, "subnets")) + ref_ids(get(group, "network_interfaces")),
    )
    yield nsg
    for rule in [
        *(get(group, "security_rules") or ()),
        *(get(group, "default_security_rules") or ()),
    ]:
        yield security_rule(rule, sub, nsg)


def virtual_network(vnet: Any, sub: str) -> Iterator[Entity]:
    """A VNet, its subnets and its peerings."""
    net = Network(
        **base(vnet, sub),
        cidrs=tuple(get(vnet, "address_space", "address_prefixes") or ()),
        is_default=False,
        legacy=False,
    )
    yield net
    for sn in get(vnet, "subnets") or ():
        name = str(get(sn, "name") or "")
        nsg = lid(get(sn, "network_security_group", "id"))
        prefixes = get(sn, "address_prefixes") or ()
        yield Subnet(
            id=lid(get(sn, "id")),
            provider=net.provider,
            account=sub,
            region=net.region,
            name=name,
            network_id=net.id,
            cidr=str(get(sn, "address_prefix") or (prefixes[0] if prefixes else "")),
            auto_public_ip=None,
            filter_policy_ids=(nsg,) if nsg else (),
            purpose=PLATFORM_SUBNETS.get(name.lower(), ""),
        )
    for peer in get(vnet, "virtual_network_peerings") or ():
        remote = lid(get(peer, "remote_virtual_network", "id"))
        transit_flags = [
            get(peer, f)
            for f in ("allow_gateway_transit", "use_remote_gateways", "allow_forwarded_traffic")
        ]
        yield NetworkPeering(
            id=lid(get(peer, "id")),
            provider=net.provider,
            account=sub,
            region=net.region,
            name=str(get(peer, "name") or ""),
            local_network_id=net.id,
            peer_network_id=remote,
            peer_account=subscription_of(remote),
            peer_cidrs=tuple(get(peer, "remote_address_space", "address_prefixes") or ()),
            status=enum_str(get(peer, "peering_state")).lower(),
            transit=True if any(transit_flags) else (None if None in transit_flags else False),
        )


def network_watcher(watcher: Any, sub: str) -> SecurityService:
    state = enum_str(get(watcher, "provisioning_state"))
    return SecurityService(
        **base(watcher, sub),
        service_kind="network_watcher",
        enabled=(state.lower() == "succeeded") if state else None,
    )


TARGET_TYPES = {
    "networksecuritygroups": "firewall_rule_set",
    "virtualnetworks": "network",
    "networkinterfaces": "interface",
}


def flow_target_type(target: str) -> str:
    if "/subnets/" in target:
        return "subnet"
    parts = target.split("/")
    kind = parts[-2] if len(parts) >= 2 else ""
    return TARGET_TYPES.get(kind, kind)


def flow_log(flow: Any, sub: str) -> FlowLogConfig:
    target = lid(get(flow, "target_resource_id"))
    policy = get(flow, "retention_policy")
    retention: int | None = None
    if policy is not None and get(policy, "enabled") is not None:
        retention = int(get(policy, "days") or 0) if get(policy, "enabled") else 0
    return FlowLogConfig(
        **base(flow, sub),
        target_type=flow_target_type(target),
        target_id=target,
        enabled=get(flow, "enabled"),
        traffic_type="ALL",
        destination=lid(get(flow, "storage_id")),
        retention_days=retention,
    )
