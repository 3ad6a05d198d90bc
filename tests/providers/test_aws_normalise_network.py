"""VPC, subnet, peering, route table, flow log and firewall normalisers."""

from __future__ import annotations

from providers.aws.arns import Ctx
from providers.aws.normalise import firewall, network
from scanner.inventory import ALL_PORTS, FirewallRule, FirewallRuleSet, PortRange

CTX = Ctx("111122223333", "us-east-1")
ARN = "arn:aws:ec2:us-east-1:111122223333"


def test_vpc_and_subnet() -> None:
    vpc = network.vpc(
        {
            "VpcId": "vpc-1",
            "IsDefault": True,
            "CidrBlock": "172.31.0.0/16",
            "CidrBlockAssociationSet": [
                {"CidrBlock": "172.31.0.0/16"},
                {"CidrBlock": "10.9.0.0/16"},
            ],
        },
        CTX,
    )
    assert vpc.id == f"{ARN}:vpc/vpc-1" and vpc.is_default
    assert vpc.cidrs == ("172.31.0.0/16", "10.9.0.0/16")
    sub = network.subnet(
        {
            "SubnetId": "subnet-1",
            "VpcId": "vpc-1",
            "CidrBlock": "172.31.0.0/20",
            "MapPublicIpOnLaunch": True,
        },
        CTX,
    )
    assert sub.network_id == vpc.id and sub.auto_public_ip is True
    assert network.subnet({"SubnetId": "s", "VpcId": "v"}, CTX).auto_public_ip is None


def test_peering_from_the_accepter_side() -> None:
    raw = {
        "VpcPeeringConnectionId": "pcx-1",
        "Status": {"Code": "active"},
        "RequesterVpcInfo": {
            "OwnerId": "999988887777",
            "VpcId": "vpc-far",
            "Region": "eu-west-1",
            "CidrBlockSet": [{"CidrBlock": "10.50.0.0/16"}],
        },
        "AccepterVpcInfo": {
            "OwnerId": "111122223333",
            "VpcId": "vpc-1",
            "Region": "us-east-1",
            "CidrBlock": "172.31.0.0/16",
        },
    }
    pcx = network.peering(raw, CTX)
    assert pcx.id == f"{ARN}:vpc-peering-connection/pcx-1"
    assert pcx.local_network_id == f"{ARN}:vpc/vpc-1"
    assert pcx.peer_network_id == "arn:aws:ec2:eu-west-1:999988887777:vpc/vpc-far"
    assert pcx.peer_account == "999988887777"
    assert pcx.peer_cidrs == ("10.50.0.0/16",)
    assert pcx.status == "active"


def test_route_table_targets() -> None:
    raw = {
        "RouteTableId": "rtb-1",
        "VpcId": "vpc-1",
        "Associations": [{"SubnetId": "subnet-1"}, {"Main": True}],
        "Routes": [
            {"DestinationCidrBlock": "10.50.0.0/16", "VpcPeeringConnectionId": "pcx-1"},
            {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"},
            {"DestinationCidrBlock": "172.31.0.0/16", "GatewayId": "local"},
        ],
    }
    rtb = network.route_table(raw, CTX)
    assert rtb.subnet_ids == (f"{ARN}:subnet/subnet-1",)
    assert [(r.destination, r.target) for r in rtb.routes] == [
        ("10.50.0.0/16", f"{ARN}:vpc-peering-connection/pcx-1"),
        ("0.0.0.0/0", "igw-1"),
        ("172.31.0.0/16", "local"),
    ]


def test_flow_log() -> None:
    raw = {
        "FlowLogId": "fl-1",
        "ResourceId": "subnet-1",
        "FlowLogStatus": "ACTIVE",
        "TrafficType": "REJECT",
        "LogDestination": "arn:aws:s3:::logs",
    }
    fl = network.flow_log(raw, CTX)
    assert fl.id == f"{ARN}:vpc-flow-log/fl-1"
    assert (fl.target_type, fl.target_id) == ("subnet", f"{ARN}:subnet/subnet-1")
    assert fl.enabled is True and fl.traffic_type == "REJECT"
    assert network.flow_log({"FlowLogId": "fl-2", "ResourceId": "vpc-1"}, CTX).enabled is None


def test_security_group_rules_one_per_source() -> None:
    raw = {
        "GroupId": "sg-1",
        "GroupName": "default",
        "VpcId": "vpc-1",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            },
            {
                "IpProtocol": "-1",
                "UserIdGroupPairs": [{"GroupId": "sg-2", "UserId": "111122223333"}],
            },
        ],
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }
    out = list(firewall.security_group(raw, CTX))
    sets = [e for e in out if isinstance(e, FirewallRuleSet)]
    rules = [e for e in out if isinstance(e, FirewallRule)]
    assert len(sets) == 1 and sets[0].is_default and sets[0].set_kind == "sg"
    set_id = f"{ARN}:security-group/sg-1"
    assert [r.id for r in rules] == [
        f"{set_id}/ingress/tcp/22-22/0.0.0.0/0",
        f"{set_id}/ingress/tcp/22-22/10.0.0.0/8",
        f"{set_id}/ingress/tcp/22-22/::/0",
        f"{set_id}/ingress/all/all/{ARN}:security-group/sg-2",
        f"{set_id}/egress/all/all/0.0.0.0/0",
    ]
    assert rules[3].name == "sg-1/ingress/all/all/sg-2"
    # Ids follow the rule, not its position: reordering or dropping others keeps them.
    reordered = {
        **raw,
        "IpPermissions": [raw["IpPermissions"][1], raw["IpPermissions"][0]],
    }
    again = [e.id for e in firewall.security_group(reordered, CTX) if isinstance(e, FirewallRule)]
    assert sorted(again) == sorted(r.id for r in rules)
    ssh_world = rules[0]
    assert ssh_world.protocol == "tcp" and ssh_world.ports == (PortRange(22, 22),)
    assert ssh_world.admits_world()
    assert not rules[1].source_is_world and rules[2].source_is_world
    assert rules[3].sources == (f"{ARN}:security-group/sg-2",)
    assert rules[3].protocol == "all" and rules[3].ports == (ALL_PORTS,)
    assert rules[4].direction == "egress"


def test_network_acl_entries() -> None:
    raw = {
        "NetworkAclId": "acl-1",
        "VpcId": "vpc-1",
        "IsDefault": False,
        "Associations": [{"SubnetId": "subnet-1"}],
        "Entries": [
            {
                "RuleNumber": 100,
                "Protocol": "6",
                "RuleAction": "allow",
                "Egress": False,
                "CidrBlock": "0.0.0.0/0",
                "PortRange": {"From": 3389, "To": 3389},
            },
            {
                "RuleNumber": 32767,
                "Protocol": "-1",
                "RuleAction": "deny",
                "Egress": False,
                "CidrBlock": "0.0.0.0/0",
            },
        ],
    }
    out = list(firewall.network_acl(raw, CTX))
    acl = out[0]
    assert isinstance(acl, FirewallRuleSet) and acl.attached_to == (f"{ARN}:subnet/subnet-1",)
    allow, deny = out[1], out[2]
    assert isinstance(allow, FirewallRule) and isinstance(deny, FirewallRule)
    assert allow.id == f"{ARN}:network-acl/acl-1/ingress/100" and allow.priority == 100
    assert allow.ports == (PortRange(3389, 3389),) and allow.action == "allow"
    assert deny.action == "deny" and deny.protocol == "all" and not deny.admits_world()


def test_security_group_rule_ids_are_unique() -> None:
    icmp = [
        {"IpProtocol": "icmp", "FromPort": t, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        for t in (0, 8)
    ]
    raw = {
        "GroupId": "sg-9",
        "IpPermissions": [
            *icmp,
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "::/0"}]},
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "::/0"}]},
        ],
    }
    ids = [e.id for e in firewall.security_group(raw, CTX) if isinstance(e, FirewallRule)]
    set_id = f"{ARN}:security-group/sg-9"
    assert ids[:2] == [
        f"{set_id}/ingress/icmp/0-*/0.0.0.0/0",
        f"{set_id}/ingress/icmp/8-*/0.0.0.0/0",
    ]
    assert len(set(ids)) == len(ids) == 4


def test_default_network_acl_ipv4_and_ipv6_rules_have_distinct_ids() -> None:
    deny = {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny"}
    raw = {
        "NetworkAclId": "acl-d",
        "VpcId": "vpc-1",
        "IsDefault": True,
        "Entries": [
            {**deny, "Egress": False, "CidrBlock": "0.0.0.0/0"},
            {**deny, "Egress": False, "Ipv6CidrBlock": "::/0"},
            {**deny, "Egress": True, "CidrBlock": "0.0.0.0/0"},
            {**deny, "Egress": True, "Ipv6CidrBlock": "::/0"},
        ],
    }
    rules = [e for e in firewall.network_acl(raw, CTX) if isinstance(e, FirewallRule)]
    set_id = f"{ARN}:network-acl/acl-d"
    assert [r.id for r in rules] == [
        f"{set_id}/ingress/32767",
        f"{set_id}/ingress/32767/ipv6",
        f"{set_id}/egress/32767",
        f"{set_id}/egress/32767/ipv6",
    ]
    assert rules[1].sources == ("::/0",) and rules[1].priority == 32767
