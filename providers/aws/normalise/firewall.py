"""Security groups and network ACLs, each as a rule set plus one rule per (entry, source)."""

from __future__ import annotations

from collections.abc import Iterator

from providers.aws.arns import Ctx
from providers.aws.normalise.common import Raw, name_of, tags_of, unique
from scanner.inventory import ALL_PORTS, Entity, FirewallRule, FirewallRuleSet, PortRange

PROVIDER = "aws"
WORLD = frozenset({"0.0.0.0/0", "::/0"})
_PROTOCOLS = {
    "-1": "all",
    "all": "all",
    "6": "tcp",
    "tcp": "tcp",
    "17": "udp",
    "udp": "udp",
    "1": "icmp",
    "icmp": "icmp",
    "58": "icmpv6",
    "icmpv6": "icmpv6",
}


def protocol(value: object) -> str:
    text = str(value).lower()
    return _PROTOCOLS.get(text, text)


def _ports(proto: str, low: object, high: object) -> tuple[PortRange, ...]:
    if proto not in ("tcp", "udp") or not isinstance(low, int) or not isinstance(high, int):
        return (ALL_PORTS,)
    if low < 0 or high < 0:
        return (ALL_PORTS,)
    return (PortRange(low, high),)


def _sg_sources(permission: Raw, ctx: Ctx) -> list[tuple[str, str]]:
    """(source as the rule reports it, the short form its name uses) per source."""
    sources = [(r.get("CidrIp"), r.get("CidrIp")) for r in permission.get("IpRanges") or ()]
    sources += [(r.get("CidrIpv6"), r.get("CidrIpv6")) for r in permission.get("Ipv6Ranges") or ()]
    sources += [
        (p.get("PrefixListId"), p.get("PrefixListId"))
        for p in permission.get("PrefixListIds") or ()
    ]
    sources += [
        (ctx.ec2("security-group", p["GroupId"], str(p.get("UserId") or ctx.account)), p["GroupId"])
        for p in permission.get("UserIdGroupPairs") or ()
        if p.get("GroupId")
    ]
    return [(str(full), str(short)) for full, short in sources if full]


def _port_token(low: object, high: object) -> str:
    """The permission's own FromPort/ToPort (ICMP type/code included), ``*`` for -1."""
    if low is None and high is None:
        return "all"

    def one(value: object) -> str:
        return str(value) if isinstance(value, int) and value >= 0 else "*"

    return f"{one(low)}-{one(high)}"


def security_group(raw: Raw, ctx: Ctx) -> Iterator[Entity]:
    """The group and one rule per (permission, source).

    Rule ids are ``{set}/{direction}/{protocol}/{ports}/{source}``: derived from what the
    rule is, so they survive reordering and unrelated edits, and unique within the group
    (AWS keeps one permission per protocol and port range, one entry per source in it).
    """
    tags = tags_of(raw)
    group = raw["GroupId"]
    set_id = ctx.ec2("security-group", group)
    vpc = raw.get("VpcId")
    yield FirewallRuleSet(
        id=set_id,
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, group),
        tags=tags,
        set_kind="sg",
        network_id=ctx.ec2("vpc", vpc) if vpc else None,
        is_default=raw.get("GroupName") == "default",
    )
    seen: set[str] = set()
    for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
        for permission in raw.get(key) or ():
            proto = protocol(permission.get("IpProtocol", "-1"))
            low, high = permission.get("FromPort"), permission.get("ToPort")
            ports = _ports(proto, low, high)
            where = f"{direction}/{proto}/{_port_token(low, high)}"
            for source, short in _sg_sources(permission, ctx):
                rule_id = f"{set_id}/{where}/{source}"
                # Defensive: a record that repeats a source gets a numbered second id.
                n = 2
                while rule_id in seen:
                    rule_id = f"{set_id}/{where}/{source}#{n}"
                    n += 1
                seen.add(rule_id)
                yield FirewallRule(
                    id=rule_id,
                    provider=PROVIDER,
                    account=ctx.account,
                    region=ctx.region,
                    name=f"{group}/{where}/{short}",
                    set_id=set_id,
                    set_kind="sg",
                    direction=direction,
                    action="allow",
                    priority=None,
                    protocol=proto,
                    ports=ports,
                    sources=(source,),
                    source_is_world=source in WORLD,
                )


def network_acl(raw: Raw, ctx: Ctx) -> Iterator[Entity]:
    tags = tags_of(raw)
    acl = raw["NetworkAclId"]
    set_id = ctx.ec2("network-acl", acl)
    yield FirewallRuleSet(
        id=set_id,
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, acl),
        tags=tags,
        set_kind="nacl",
        network_id=ctx.ec2("vpc", raw["VpcId"]) if raw.get("VpcId") else None,
        is_default=bool(raw.get("IsDefault")),
        attached_to=unique(
            ctx.ec2("subnet", a["SubnetId"])
            for a in raw.get("Associations") or ()
            if a.get("SubnetId")
        ),
    )
    for entry in raw.get("Entries") or ():
        direction = "egress" if entry.get("Egress") else "ingress"
        number = int(entry.get("RuleNumber", 0))
        source = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock") or ""
        # IPv4 and IPv6 entries share rule numbers (the default NACL's two 32767 denies).
        suffix = "/ipv6" if entry.get("Ipv6CidrBlock") and not entry.get("CidrBlock") else ""
        proto = protocol(entry.get("Protocol", "-1"))
        port_range = entry.get("PortRange") or {}
        yield FirewallRule(
            id=f"{set_id}/{direction}/{number}{suffix}",
            provider=PROVIDER,
            account=ctx.account,
            region=ctx.region,
            name=f"{acl}/{direction}/{number}{suffix}",
            set_id=set_id,
            set_kind="nacl",
            direction=direction,
            action="allow" if entry.get("RuleAction") == "allow" else "deny",
            priority=number,
            protocol=proto,
            ports=_ports(proto, port_range.get("From"), port_range.get("To")),
            sources=(source,) if source else (),
            source_is_world=source in WORLD,
        )
