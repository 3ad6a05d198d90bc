"""Which firewall rules really admit the internet, respecting deny order in ordered sets.

Security groups are a union of allows (no order, no deny). Ordered sets (network ACLs,
NSGs, VPC firewalls) are evaluated lowest priority number first: an allow only counts
for traffic that no earlier deny from the world already stops.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from scanner.inventory import (
    ComputeInstance,
    FirewallRule,
    FirewallRuleSet,
    Inventory,
    NetworkInterface,
)

_WORLD = {"0.0.0.0/0": "ipv4", "::/0": "ipv6"}
_ANY = "any"


class Traffic(Protocol):
    """A kind of traffic: which rules admit (or deny) it, and when a deny stops an allow."""

    def matches(self, rule: FirewallRule) -> bool: ...

    def stops(self, deny: FirewallRule, allow: FirewallRule) -> bool: ...


@dataclass(frozen=True)
class AllPorts:
    """Every port of a protocol (or every protocol)."""

    def matches(self, rule: FirewallRule) -> bool:
        # ICMP and other port-less protocols are reported with the full range: not "every port".
        return rule.protocol == "all" or (
            rule.protocol in ("tcp", "udp") and any(r.is_all for r in rule.ports)
        )

    def stops(self, deny: FirewallRule, allow: FirewallRule) -> bool:
        return deny.protocol == "all" or (
            deny.protocol == allow.protocol and any(r.is_all for r in deny.ports)
        )


@dataclass(frozen=True)
class TcpPort:
    """One TCP port."""

    port: int

    def matches(self, rule: FirewallRule) -> bool:
        return rule.protocol == "all" or (
            rule.protocol == "tcp" and any(r.covers(self.port) for r in rule.ports)
        )

    def stops(self, deny: FirewallRule, allow: FirewallRule) -> bool:
        return self.matches(deny)


ALL_PORTS_TRAFFIC = AllPorts()


def world_families(rule: FirewallRule) -> set[str]:
    """Address families from which the rule's source is the whole internet."""
    if not rule.source_is_world:
        return set()
    found = {_WORLD[s] for s in rule.sources if s in _WORLD}
    return found or {_ANY}


def _shadowed(allow: FirewallRule, denies: Iterable[FirewallRule], traffic: Traffic) -> bool:
    families = world_families(allow)
    covered: set[str] = set()
    for deny in denies:
        if traffic.stops(deny, allow):
            covered |= world_families(deny)
    return _ANY in covered or families <= covered


def exposing_rules(rules: Iterable[FirewallRule], traffic: Traffic) -> list[FirewallRule]:
    """Enabled ingress allow rules from the world that admit ``traffic``, not shadowed."""
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
        if ordered and _shadowed(rule, world_denies, traffic):
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
    if rule.protocol == "all":
        return "all traffic"
    ports = ",".join(str(p.low) if p.low == p.high else f"{p.low}-{p.high}" for p in rule.ports)
    return f"{rule.protocol}/{ports}"


def admin_exposed(
    inv: Inventory, instance: ComputeInstance, admin_ports: Iterable[int]
) -> list[int]:
    """Admin ports that a firewall set of the instance (or of its interfaces) opens to the world."""
    ids = set(instance.firewall_set_ids)
    for eni_id in instance.network_interface_ids:
        eni = inv.get(eni_id, NetworkInterface)
        if eni is not None:
            ids.update(eni.firewall_set_ids)
    grouped = rules_by_set(inv)
    return sorted(
        port
        for port in set(admin_ports)
        if any(exposing_rules(grouped.get(i, ()), TcpPort(port)) for i in ids)
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
