"""Which firewall rules really admit the internet, respecting deny order in ordered sets.

Security groups are a union of allows (no order, no deny). Ordered sets (network ACLs,
NSGs, VPC firewalls) are evaluated lowest priority number first: an allow only counts
for traffic that no earlier deny from the world already stops, and a deny stops it only
where its destination (``FirewallRule.targets``) covers everything the allow reaches.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from scanner.inventory import (
    ComputeInstance,
    FirewallRule,
    FirewallRuleSet,
    Inventory,
    NetworkInterface,
    Subnet,
)

_WORLD = {"0.0.0.0/0": "ipv4", "::/0": "ipv6"}
_ANY = "any"
_PROTOCOL_NAMES = {"-1": "all", "*": "all", "any": "all", "6": "tcp", "17": "udp"}
PORT_PROTOCOLS = ("tcp", "udp")
"""The protocols that have ports; ``all`` carries both."""


def protocol_of(rule: FirewallRule) -> str:
    """``all``, ``tcp``, ``udp`` or the rule's other (port-less) protocol, lower case."""
    text = rule.protocol.strip().lower()
    return _PROTOCOL_NAMES.get(text, text)


def port_protocols(rule: FirewallRule) -> tuple[str, ...]:
    """The port-carrying protocols a rule admits: none for icmp, GRE and the like."""
    proto = protocol_of(rule)
    if proto == "all":
        return PORT_PROTOCOLS
    return (proto,) if proto in PORT_PROTOCOLS else ()


class Traffic(Protocol):
    """A kind of traffic of one protocol: a rule (allow or deny) either covers all of it or not."""

    def matches(self, rule: FirewallRule) -> bool: ...


@dataclass(frozen=True)
class AllPorts:
    """Every port of one port-carrying protocol."""

    protocol: str

    def matches(self, rule: FirewallRule) -> bool:
        # ICMP and other port-less protocols are reported with the full range: not "every port".
        return self.protocol in port_protocols(rule) and any(r.is_all for r in rule.ports)


@dataclass(frozen=True)
class Port:
    """One port of one port-carrying protocol."""

    port: int
    protocol: str

    def matches(self, rule: FirewallRule) -> bool:
        return self.protocol in port_protocols(rule) and any(
            r.covers(self.port) for r in rule.ports
        )


def exposed_on_all_ports(rules: Sequence[FirewallRule]) -> list[FirewallRule]:
    """World allows that open every tcp or every udp port (or all traffic), unshadowed."""
    found = {r.id: r for proto in PORT_PROTOCOLS for r in exposing_rules(rules, AllPorts(proto))}
    return list(found.values())


def exposed_on_port(rules: Sequence[FirewallRule], port: int) -> dict[str, list[FirewallRule]]:
    """Unshadowed world allows that open ``port``, by protocol (only those that are open)."""
    by_protocol = {proto: exposing_rules(rules, Port(port, proto)) for proto in PORT_PROTOCOLS}
    return {proto: hits for proto, hits in by_protocol.items() if hits}


def world_families(rule: FirewallRule) -> set[str]:
    """Address families from which the rule's source is the whole internet."""
    if not rule.source_is_world:
        return set()
    found = {_WORLD[s] for s in rule.sources if s in _WORLD}
    return found or {_ANY}


_EVERY_DESTINATION = {"*": _ANY, "any": _ANY, "0.0.0.0/0": "ipv4", "::/0": "ipv6"}

Destinations = Callable[[FirewallRule, FirewallRule], set[str]]
"""(deny, allow) -> the address families in which the deny's destination covers the allow's."""


def destination_families(deny_dests: Collection[str], allow_dests: Collection[str]) -> set[str]:
    """Address families in which a deny's destinations include every destination of an allow.

    No destinations (every one), the same set as the allow's, or a whole-address-space
    entry (``*``, ``any``, ``0.0.0.0/0``, ``::/0``) covers it; anything narrower may leave
    part of the allow's destinations open, so it covers nothing.
    """
    deny = {d.strip().lower() for d in deny_dests}
    if not deny or deny == {a.strip().lower() for a in allow_dests}:
        return {_ANY}
    return {_EVERY_DESTINATION[d] for d in deny if d in _EVERY_DESTINATION}


def rule_destinations(deny: FirewallRule, allow: FirewallRule) -> set[str]:
    """Destinations are the rules' targets (Azure prefixes and ASGs; AWS reports none)."""
    return destination_families(deny.targets, allow.targets)


def _meet(a: set[str], b: set[str]) -> set[str]:
    if _ANY in a:
        return set(b)
    if _ANY in b:
        return set(a)
    return a & b


def _shadowed(
    allow: FirewallRule,
    denies: Iterable[FirewallRule],
    traffic: Traffic,
    destinations: Destinations,
) -> bool:
    families = world_families(allow)
    covered: set[str] = set()
    for deny in denies:
        if traffic.matches(deny):
            covered |= _meet(world_families(deny), destinations(deny, allow))
    return _ANY in covered or families <= covered


def exposing_rules(
    rules: Iterable[FirewallRule],
    traffic: Traffic,
    destinations: Destinations = rule_destinations,
) -> list[FirewallRule]:
    """Enabled ingress allow rules from the world that admit ``traffic``, not shadowed by a
    deny whose destination covers the allow's (judged by ``destinations``)."""
    ingress = [r for r in rules if r.enabled and r.direction == "ingress"]
    ordered = any(r.priority is not None for r in ingress)
    if ordered:
        ingress.sort(key=lambda r: (r.priority is None, r.priority or 0))
    exposed: list[FirewallRule] = []
    world_denies: list[FirewallRule] = []
    for rule in ingress:
        if rule.action == "deny":
            if rule.source_is_world:
                world_denies.append(rule)
            continue
        if not rule.admits_world() or not traffic.matches(rule):
            continue
        if ordered and _shadowed(rule, world_denies, traffic, destinations):
            continue
        exposed.append(rule)
    return exposed


def rules_by_set(inv: Inventory) -> dict[str, list[FirewallRule]]:
    grouped: dict[str, list[FirewallRule]] = {}
    for rule in inv.of(FirewallRule):
        grouped.setdefault(rule.set_id, []).append(rule)
    return grouped


def describe_rule(rule: FirewallRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "action": rule.action,
        "protocol": rule.protocol,
        "ports": [f"{p.low}-{p.high}" for p in rule.ports],
        "sources": list(rule.sources),
        "priority": rule.priority,
    }


def traffic_text(rule: FirewallRule) -> str:
    if protocol_of(rule) == "all":
        return "all traffic"
    ports = ",".join(str(p.low) if p.low == p.high else f"{p.low}-{p.high}" for p in rule.ports)
    return f"{rule.protocol}/{ports}"


def admin_exposed(
    inv: Inventory, instance: ComputeInstance, admin_ports: Iterable[int]
) -> list[int]:
    """Admin ports that a firewall set of the instance (or of its interfaces) opens to the world.

    Azure NSGs are layered (subnet, then NIC): see ``layered_exposed_ports``.
    """
    if instance.provider == "azure":
        return layered_exposed_ports(inv, instance, admin_ports)
    ids = set(instance.firewall_set_ids)
    for eni_id in instance.network_interface_ids:
        eni = inv.get(eni_id, NetworkInterface)
        if eni is not None:
            ids.update(eni.firewall_set_ids)
    grouped = rules_by_set(inv)
    return sorted(
        port
        for port in set(admin_ports)
        if any(exposed_on_port(grouped.get(i, ()), port) for i in ids)
    )


def instances_behind(inv: Inventory, fw_set: FirewallRuleSet) -> list[ComputeInstance]:
    """Instances a set applies to: by their set ids, interfaces, subnet or attachment."""
    attached = set(fw_set.attached_to)
    eni_ids = {eni.id for eni in inv.of(NetworkInterface) if fw_set.id in eni.firewall_set_ids}
    return [
        vm
        for vm in inv.of(ComputeInstance)
        if fw_set.id in vm.firewall_set_ids
        or vm.id in attached
        or (vm.subnet_id is not None and vm.subnet_id in attached)
        or bool(eni_ids & set(vm.network_interface_ids))
        or bool(attached & set(vm.network_interface_ids))
    ]


def layered_exposed_ports(
    inv: Inventory, instance: ComputeInstance, ports: Iterable[int], through: str | None = None
) -> list[int]:
    """Azure: ports the world reaches on an interface through every NSG layer present.

    Traffic to a NIC passes the subnet's NSG and then the NIC's own; a port is open only
    if each layer that has an NSG admits it. An interface with no NSG on either layer is
    not counted: Standard public IPs (the only SKU since Basic retired) are closed inbound
    until an NSG opens them; the subnet filtering check reports the missing NSG. With
    ``through``, only interfaces that NSG guards (on either layer) count.
    """
    grouped = rules_by_set(inv)
    wanted = sorted(set(ports))
    open_ports: set[int] = set()
    for layers in _nsg_layers(inv, instance):
        present = [layer for layer in layers if layer]
        if not present or (through is not None and not any(through in lay for lay in present)):
            continue
        open_ports.update(
            port
            for port in wanted
            if all(
                any(exposed_on_port(grouped.get(i, ()), port) for i in layer) for layer in present
            )
        )
    return sorted(open_ports)


def _nsg_layers(
    inv: Inventory, instance: ComputeInstance
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(subnet NSGs, NIC NSGs) for each interface of an Azure VM."""
    found: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for nic_id in instance.network_interface_ids:
        nic = inv.get(nic_id, NetworkInterface)
        if nic is None:
            continue
        found.append((_subnet_sets(inv, instance, nic.subnet_id), nic.firewall_set_ids))
    if not found:
        # Interfaces not collected: split the instance's own sets by what they attach to.
        subnet_sets = _subnet_sets(inv, instance, instance.subnet_id)
        rest = tuple(i for i in instance.firewall_set_ids if i not in subnet_sets)
        found.append((subnet_sets, rest))
    return found


def _subnet_sets(
    inv: Inventory, instance: ComputeInstance, subnet_id: str | None
) -> tuple[str, ...]:
    if subnet_id is None:
        return ()
    subnet = inv.get(subnet_id, Subnet)
    if subnet is not None:
        return subnet.filter_policy_ids
    return tuple(
        i
        for i in instance.firewall_set_ids
        if (s := inv.get(i, FirewallRuleSet)) is not None and subnet_id in s.attached_to
    )
