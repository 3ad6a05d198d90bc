"""VPCs, subnets, peering connections, route tables and flow logs."""

from __future__ import annotations

from dataclasses import replace

from providers.aws.arns import Ctx, ec2_arn_for
from providers.aws.normalise.common import Raw, name_of, opt_bool, tags_of, unique
from scanner.inventory import FlowLogConfig, Network, NetworkPeering, Route, RouteTable, Subnet

PROVIDER = "aws"


def vpc(raw: Raw, ctx: Ctx) -> Network:
    tags = tags_of(raw)
    cidrs = [a.get("CidrBlock") for a in raw.get("CidrBlockAssociationSet") or ()]
    cidrs += [a.get("Ipv6CidrBlock") for a in raw.get("Ipv6CidrBlockAssociationSet") or ()]
    return Network(
        id=ctx.ec2("vpc", raw["VpcId"]),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, raw["VpcId"]),
        tags=tags,
        is_default=bool(raw.get("IsDefault")),
        cidrs=unique(cidrs or [raw.get("CidrBlock")]),
    )


def subnet(raw: Raw, ctx: Ctx) -> Subnet:
    tags = tags_of(raw)
    return Subnet(
        id=ctx.ec2("subnet", raw["SubnetId"]),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, raw["SubnetId"]),
        tags=tags,
        network_id=ctx.ec2("vpc", raw["VpcId"]),
        cidr=str(raw.get("CidrBlock", "")),
        auto_public_ip=opt_bool(raw, "MapPublicIpOnLaunch"),
    )


def _side_cidrs(side: Raw) -> tuple[str, ...]:
    listed = [c.get("CidrBlock") for c in side.get("CidrBlockSet") or ()]
    listed += [c.get("Ipv6CidrBlock") for c in side.get("Ipv6CidrBlockSet") or ()]
    return unique(listed or [side.get("CidrBlock")])


def peering(raw: Raw, ctx: Ctx) -> NetworkPeering:
    """A peering connection seen from this account and region (requester or accepter)."""
    tags = tags_of(raw)
    requester = raw.get("RequesterVpcInfo") or {}
    accepter = raw.get("AccepterVpcInfo") or {}

    def is_local(side: Raw) -> bool:
        return (
            str(side.get("OwnerId", ctx.account)) == ctx.account
            and side.get("Region", ctx.region) == ctx.region
        )

    local, peer = (requester, accepter) if is_local(requester) else (accepter, requester)
    peer_account = str(peer.get("OwnerId", ""))
    peer_region = str(peer.get("Region", ctx.region))
    peer_ctx = replace(ctx, account=peer_account or ctx.account, region=peer_region)
    pcx = raw["VpcPeeringConnectionId"]
    return NetworkPeering(
        id=ctx.ec2("vpc-peering-connection", pcx),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, pcx),
        tags=tags,
        local_network_id=ctx.ec2("vpc", local["VpcId"]) if local.get("VpcId") else "",
        peer_network_id=peer_ctx.ec2("vpc", peer["VpcId"]) if peer.get("VpcId") else "",
        peer_account=peer_account,
        peer_cidrs=_side_cidrs(peer),
        status=str((raw.get("Status") or {}).get("Code", "")),
    )


_TARGET_KEYS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "InstanceId",
    "NetworkInterfaceId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "EgressOnlyInternetGatewayId",
    "CoreNetworkArn",
)


def _route(raw: Raw, ctx: Ctx) -> Route | None:
    destination = (
        raw.get("DestinationCidrBlock")
        or raw.get("DestinationIpv6CidrBlock")
        or raw.get("DestinationPrefixListId")
    )
    if not destination:
        return None
    if raw.get("VpcPeeringConnectionId"):
        target = ctx.ec2("vpc-peering-connection", raw["VpcPeeringConnectionId"])
    else:
        target = next((str(raw[k]) for k in _TARGET_KEYS if raw.get(k)), "")
    return Route(destination=str(destination), target=target)


def route_table(raw: Raw, ctx: Ctx) -> RouteTable:
    tags = tags_of(raw)
    routes = (_route(r, ctx) for r in raw.get("Routes") or ())
    return RouteTable(
        id=ctx.ec2("route-table", raw["RouteTableId"]),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, raw["RouteTableId"]),
        tags=tags,
        network_id=ctx.ec2("vpc", raw["VpcId"]),
        subnet_ids=unique(
            ctx.ec2("subnet", a["SubnetId"])
            for a in raw.get("Associations") or ()
            if a.get("SubnetId")
        ),
        routes=tuple(r for r in routes if r is not None),
    )


_TARGET_TYPES = {"vpc": "network", "subnet": "subnet", "eni": "interface"}


def flow_log(raw: Raw, ctx: Ctx) -> FlowLogConfig:
    tags = tags_of(raw)
    resource = str(raw.get("ResourceId", ""))
    status = raw.get("FlowLogStatus")
    return FlowLogConfig(
        id=ctx.ec2("vpc-flow-log", raw["FlowLogId"]),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, raw["FlowLogId"]),
        tags=tags,
        target_type=_TARGET_TYPES.get(resource.split("-", 1)[0], ""),
        target_id=ec2_arn_for(ctx, resource),
        enabled=(status == "ACTIVE") if status else None,
        traffic_type=str(raw.get("TrafficType", "")),
        destination=str(raw.get("LogDestination") or raw.get("LogGroupName") or ""),
    )
