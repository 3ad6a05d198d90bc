"""VPC firewall rules, one entity per allowed[] / denied[] entry, and the implied rules."""

from __future__ import annotations

from providers.gcp.normalise.common import Ctx, Json
from scanner.inventory import ALL_PORTS, GLOBAL, FirewallRule, PortRange

WORLD = frozenset({"0.0.0.0/0", "::/0"})
IMPLIED_PRIORITY = 65535


def rule_set_id(network: str) -> str:
    return f"{network}/firewalls"


def ports(values: list[str] | None) -> tuple[PortRange, ...]:
    if not values:
        return (ALL_PORTS,)
    out = []
    for value in values:
        low, _, high = str(value).partition("-")
        out.append(PortRange(int(low), int(high or low)))
    return tuple(out)


def firewall(ctx: Ctx, item: Json) -> list[FirewallRule]:
    link = str(item["selfLink"])
    network = str(item.get("network", ""))
    direction = str(item.get("direction", "INGRESS")).lower()
    ranges = [str(r) for r in item.get("sourceRanges") or []]
    if direction == "ingress":
        sources = (
            ranges
            + [f"tag:{t}" for t in item.get("sourceTags") or []]
            + [f"serviceAccount:{s}" for s in item.get("sourceServiceAccounts") or []]
        )
    else:
        sources = [str(r) for r in item.get("destinationRanges") or []]
    targets = [f"tag:{t}" for t in item.get("targetTags") or []] + [
        f"serviceAccount:{s}" for s in item.get("targetServiceAccounts") or []
    ]
    if direction == "ingress":
        # An ingress rule with destinationRanges reaches only those addresses of its targets.
        targets += [f"dest:{r}" for r in item.get("destinationRanges") or []]
    out = []
    for action, key in (("allow", "allowed"), ("deny", "denied")):
        for i, entry in enumerate(item.get(key) or []):
            out.append(
                FirewallRule(
                    **ctx.base(f"{link}/{action}/{i}", GLOBAL, str(item.get("name", ""))),
                    set_id=rule_set_id(network),
                    set_kind="vpc_fw",
                    direction=direction,
                    action=action,
                    # 1000 is the documented default priority of a rule created without one.
                    priority=int(item.get("priority", 1000)),
                    protocol=str(entry.get("IPProtocol", "all")).lower(),
                    ports=ports(entry.get("ports")),
                    sources=tuple(sources),
                    source_is_world=direction == "ingress" and bool(WORLD & set(ranges)),
                    targets=tuple(targets),
                    enabled=not item.get("disabled", False),
                )
            )
    return out


def implied_rules(ctx: Ctx, network: str, name: str) -> list[FirewallRule]:
    """Every VPC network denies all ingress and allows all egress at the lowest priority."""
    common = {
        "set_id": rule_set_id(network),
        "set_kind": "vpc_fw",
        "priority": IMPLIED_PRIORITY,
        "protocol": "all",
        "ports": (ALL_PORTS,),
    }
    return [
        FirewallRule(
            **ctx.base(
                f"{network}/firewalls/implied-deny-ingress", GLOBAL, f"{name} implied deny ingress"
            ),
            direction="ingress",
            action="deny",
            sources=("0.0.0.0/0", "::/0"),
            source_is_world=True,
            **common,  # type: ignore[arg-type]
        ),
        FirewallRule(
            **ctx.base(
                f"{network}/firewalls/implied-allow-egress", GLOBAL, f"{name} implied allow egress"
            ),
            direction="egress",
            action="allow",
            sources=("0.0.0.0/0", "::/0"),
            **common,  # type: ignore[arg-type]
        ),
    ]
