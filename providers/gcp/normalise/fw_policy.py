"""Firewall policies in force on a VPC network (networks.getEffectiveFirewalls): one
FirewallRuleSet per policy per network, one FirewallRule per rule and layer-4 entry."""

from __future__ import annotations

from providers.gcp.normalise.common import Ctx, Json
from providers.gcp.normalise.firewall import WORLD, ports
from scanner.inventory import GLOBAL, Entity, FirewallRule, FirewallRuleSet

SET_KIND = "fw_policy"
_ACTIONS = {
    "allow": "allow",
    "deny": "deny",
    "goto_next": "goto_next",
    # Traffic is allowed on to the inspection endpoint; for exposure that is an allow.
    "apply_security_profile_group": "allow",
}
_SOURCE_PREFIXES = (
    ("srcAddressGroups", "addressGroup:"),
    ("srcFqdns", "fqdn:"),
    ("srcRegionCodes", "regionCode:"),
    ("srcThreatIntelligences", "threatIntelligence:"),
)


def policy_set_id(network: str, policy: Json) -> str:
    return f"{network}/firewallPolicies/{policy.get('name', '')}"


def rule_targets(rule: Json, network: str) -> tuple[str, ...] | None:
    """What the rule targets on this network; ``None`` when its targetResources name only
    other networks (it does not apply here)."""
    resources = [str(r) for r in rule.get("targetResources") or []]
    if resources and not any(_same_network(r, network) for r in resources):
        return None
    return tuple(
        [f"serviceAccount:{s}" for s in rule.get("targetServiceAccounts") or []]
        + [f"secureTag:{t.get('name', '')}" for t in rule.get("targetSecureTags") or []]
    )


def _same_network(resource: str, network: str) -> bool:
    # targetResources may be full URLs or "projects/P/global/networks/N".
    return network.endswith("/" + resource.split("/compute/v1/", 1)[-1].lstrip("/"))


def _from_world(match: Json, ranges: list[str]) -> bool:
    """0.0.0.0/0 or ::/0 among the source ranges, or the INTERNET source network type with
    no range narrowing it. Google ANDs the two: any other source network type
    (NON_INTERNET, VPC_NETWORKS, INTRA_VPC) keeps internet traffic out of the rule."""
    net_type = match.get("srcNetworkType")
    if net_type and net_type != "INTERNET":
        return False
    if WORLD & set(ranges):
        return True
    return net_type == "INTERNET" and not ranges


def policy_rules(
    ctx: Ctx, network: str, set_id: str, policy_name: str, rule: Json
) -> list[FirewallRule]:
    targets = rule_targets(rule, network)
    if targets is None:
        return []
    match = rule.get("match") or {}
    direction = str(rule.get("direction", "INGRESS")).lower()
    if direction == "ingress":
        # Ingress destIpRanges narrow the rule to those addresses (checks/_gcp.py: dest:).
        targets += tuple(f"dest:{r}" for r in match.get("destIpRanges") or [])
        ranges = [str(r) for r in match.get("srcIpRanges") or []]
        sources = ranges + [
            f"secureTag:{t.get('name', '')}" for t in match.get("srcSecureTags") or []
        ]
        for key, prefix in _SOURCE_PREFIXES:
            sources += [f"{prefix}{v}" for v in match.get(key) or []]
        net_type = str(match.get("srcNetworkType", ""))
        if net_type:
            sources.append(f"networkType:{net_type}")
    else:
        ranges = []
        sources = [str(r) for r in match.get("destIpRanges") or []]
    action = str(rule.get("action", "")).lower()
    base_id = f"{set_id}/rules/{rule.get('priority', '')}"
    name = f"{policy_name} rule {rule.get('ruleName') or rule.get('priority', '')}"
    out = []
    for i, l4 in enumerate(match.get("layer4Configs") or [{"ipProtocol": "all"}]):
        out.append(
            FirewallRule(
                **ctx.base(f"{base_id}/{i}", GLOBAL, name),
                set_id=set_id,
                set_kind=SET_KIND,
                direction=direction,
                action=_ACTIONS.get(action, action),
                priority=int(rule["priority"]) if "priority" in rule else None,
                protocol=str(l4.get("ipProtocol", "all")).lower(),
                ports=ports(l4.get("ports")),
                sources=tuple(sources),
                source_is_world=direction == "ingress" and _from_world(match, ranges),
                targets=targets,
                enabled=not rule.get("disabled", False),
            )
        )
    return out


def effective_policies(ctx: Ctx, network: str, body: Json) -> list[Entity]:
    """The ``firewallPolicys`` of a getEffectiveFirewalls answer for ``network`` (its
    ``firewalls`` are the VPC rules, read by firewalls.list)."""
    out: list[Entity] = []
    for policy in body.get("firewallPolicys") or []:
        set_id = policy_set_id(network, policy)
        name = str(policy.get("shortName") or policy.get("displayName") or policy.get("name", ""))
        out.append(
            FirewallRuleSet(
                **ctx.base(set_id, GLOBAL, name),
                set_kind=SET_KIND,
                network_id=network,
            )
        )
        for rule in policy.get("rules") or []:
            out += policy_rules(ctx, network, set_id, name, rule)
    return out
