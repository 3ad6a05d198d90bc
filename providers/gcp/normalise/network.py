"""VPC networks, their peerings and firewall sets, subnets and their flow-log settings."""

from __future__ import annotations

from providers.gcp.normalise.common import Ctx, Json, last, location_region, project_of
from providers.gcp.normalise.firewall import implied_rules, rule_set_id
from scanner.inventory import (
    GLOBAL,
    Entity,
    FirewallRuleSet,
    FlowLogConfig,
    Network,
    NetworkPeering,
    Subnet,
)


def network(ctx: Ctx, item: Json) -> list[Entity]:
    """The network, one peering per peer, its firewall rule set and the implied rules."""
    link = str(item["selfLink"])
    name = str(item.get("name", ""))
    legacy = "IPv4Range" in item
    out: list[Entity] = [
        Network(
            **ctx.base(link, GLOBAL, name),
            is_default=name == "default",
            legacy=legacy,
            cidrs=(str(item["IPv4Range"]),) if legacy else (),
        ),
        FirewallRuleSet(
            **ctx.base(rule_set_id(link), GLOBAL, name),
            set_kind="vpc_fw",
            network_id=link,
            is_default=False,
        ),
    ]
    for peer in item.get("peerings") or []:
        peer_net = str(peer.get("network", ""))
        out.append(
            NetworkPeering(
                **ctx.base(
                    f"{link}/peerings/{peer.get('name', '')}", GLOBAL, str(peer.get("name", ""))
                ),
                local_network_id=link,
                peer_network_id=peer_net,
                peer_account=project_of(peer_net),
                status=str(peer.get("state", "")).lower(),
                transit=bool(peer.get("exportCustomRoutes") or peer.get("importCustomRoutes")),
            )
        )
    out += implied_rules(ctx, link, name)
    return out


def subnet(ctx: Ctx, item: Json) -> list[Entity]:
    """The subnet and its flow-log setting (no ``logConfig``: off, Google's default)."""
    link = str(item["selfLink"])
    region = location_region(item)
    log_config = item.get("logConfig") or {}
    return [
        Subnet(
            **ctx.base(link, region, str(item.get("name", ""))),
            network_id=str(item.get("network", "")),
            cidr=str(item.get("ipCidrRange", "")),
            purpose=str(item.get("purpose") or "PRIVATE"),
            auto_public_ip=None,
        ),
        FlowLogConfig(
            **ctx.base(f"{link}/flowLogs", region, f"{item.get('name', '')} flow logs"),
            target_type="subnet",
            target_id=link,
            enabled=bool(log_config.get("enable", False)),
            traffic_type="ALL",
            destination="",
            retention_days=None,
        ),
    ]


def network_name(link: str) -> str:
    return last(link)
