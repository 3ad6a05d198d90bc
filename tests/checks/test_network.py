"""Default security groups, peering routes, flow logs and interface filtering."""

from __future__ import annotations

from scanner.engine import scope_ref
from scanner.inventory import (
    FirewallRuleSet,
    FlowLogConfig,
    Network,
    NetworkInterface,
    NetworkPeering,
    Route,
    RouteTable,
    Subnet,
)
from scanner.results import Severity, Status
from tests.checks.builders import ACCOUNT, ec2, gap, make, only, rule, run, statuses

DEFAULT = "any.network.default_constructs_restricted"
PEERING = "any.network.cross_tenant_link"
FLOW = "any.network.flow_logs_enabled"
FILTER = "any.subnet.filtering_attached"

DSG = ec2("security-group/sg-dflt")
CSG = ec2("security-group/sg-app")
PCX = ec2("vpc-peering-connection/pcx-1")
VPC = ec2("vpc/vpc-1")
S1, S2 = ec2("subnet/subnet-1"), ec2("subnet/subnet-2")


def peering(**kw: object) -> NetworkPeering:
    fields: dict[str, object] = {
        "status": "active",
        "peer_account": "444455556666",
        "peer_cidrs": ("10.1.0.0/16",),
    }
    fields.update(kw)
    return make(NetworkPeering, PCX, **fields)  # type: ignore[arg-type]


def table(*routes: tuple[str, str]) -> RouteTable:
    return make(RouteTable, ec2("route-table/rtb-1"), routes=tuple(Route(d, t) for d, t in routes))


def flow(
    target: str, n: int = 1, enabled: bool | None = True, traffic: str = "ALL"
) -> FlowLogConfig:
    return make(
        FlowLogConfig,
        ec2(f"vpc-flow-log/fl-{n}"),
        target_id=target,
        enabled=enabled,
        traffic_type=traffic,
    )


def test_default_group_with_any_rule_fails_and_custom_groups_are_ignored() -> None:
    dflt = make(FirewallRuleSet, DSG, set_kind="sg", is_default=True)
    custom = make(FirewallRuleSet, CSG, set_kind="sg")
    findings = run(
        DEFAULT, dflt, custom, rule(DSG, 0, direction="egress", source="0.0.0.0/0"), rule(CSG, 0)
    )
    assert statuses(findings) == {DSG: Status.FAIL}
    assert "0 inbound and 1 outbound" in findings[0].message


def test_default_nacl_is_not_a_default_security_group() -> None:
    acl = make(FirewallRuleSet, ec2("network-acl/acl-1"), set_kind="nacl", is_default=True)
    assert run(DEFAULT, acl, rule(acl.id, 100, priority=100, set_kind="nacl")) == []


def test_default_route_through_a_peering_fails_with_evidence() -> None:
    f = only(run(PEERING, peering(), table(("10.1.0.0/16", PCX), ("0.0.0.0/0", PCX))), PCX)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert "0.0.0.0/0" in f.message and "444455556666" in f.message
    assert [r["destination"] for r in f.evidence["offending_routes"]] == ["0.0.0.0/0"]
    assert f.evidence["peer_cidrs"] == ["10.1.0.0/16"]


def test_route_wider_than_the_peer_cidr_fails_even_by_short_id() -> None:
    findings = run(PEERING, peering(), table(("10.0.0.0/8", "pcx-1")))
    assert statuses(findings) == {PCX: Status.FAIL}


def test_ipv6_default_route_fails_and_matching_ipv6_passes() -> None:
    p = peering(peer_cidrs=("10.1.0.0/16", "2600:1f18::/56"))
    assert statuses(run(PEERING, p, table(("::/0", PCX)))) == {PCX: Status.FAIL}
    assert statuses(run(PEERING, p, table(("2600:1f18::/64", PCX)))) == {PCX: Status.PASS}


def test_inactive_peering_is_skipped() -> None:
    assert run(PEERING, peering(status="deleted"), table(("0.0.0.0/0", PCX))) == []


def test_unreported_peer_cidrs_with_routes_is_error() -> None:
    findings = run(PEERING, peering(peer_cidrs=()), table(("10.1.0.0/16", PCX)))
    assert statuses(findings) == {PCX: Status.ERROR}


def test_network_without_flow_logs_fails() -> None:
    net = make(Network, VPC)
    findings = run(FLOW, net, make(Subnet, S1, network_id=VPC), flow(S2))
    f = only(findings, VPC)
    assert f.status is Status.FAIL and f.evidence["subnets_without"] == ["subnet-1"]


def test_every_subnet_logged_passes_and_one_missing_fails() -> None:
    net, sub1, sub2 = (
        make(Network, VPC),
        make(Subnet, S1, network_id=VPC),
        make(Subnet, S2, network_id=VPC),
    )
    assert statuses(run(FLOW, net, sub1, sub2, flow(S1, 1), flow(S2, 2))) == {VPC: Status.PASS}
    assert statuses(run(FLOW, net, sub1, sub2, flow(S1, 1))) == {VPC: Status.FAIL}


def test_disabled_flow_log_fails_and_unreported_is_error() -> None:
    net = make(Network, VPC)
    assert statuses(run(FLOW, net, flow(VPC, enabled=False))) == {VPC: Status.FAIL}
    assert statuses(run(FLOW, net, flow(VPC, enabled=None))) == {VPC: Status.ERROR}


def test_flow_logs_must_record_rejected_traffic() -> None:
    """CIS AWS 3.7: flow logs with traffic type REJECT (or ALL); ACCEPT only is not enough."""
    net = make(Network, VPC)
    for traffic in ("ALL", "REJECT", "reject", "All"):
        assert statuses(run(FLOW, net, flow(VPC, traffic=traffic))) == {VPC: Status.PASS}
    f = only(run(FLOW, net, flow(VPC, traffic="ACCEPT")), VPC)
    assert f.status is Status.FAIL and "ACCEPT only" in f.message and "vpc-1" in f.message
    assert f.evidence["accept_only"] == ["vpc-1"] and f.evidence["traffic_types"] == ["ACCEPT"]
    both = run(FLOW, net, flow(VPC, 1, traffic="ACCEPT"), flow(VPC, 2, traffic="REJECT"))
    assert statuses(both) == {VPC: Status.PASS}


def test_accept_only_subnet_logs_do_not_cover_the_network() -> None:
    net, sub1, sub2 = (
        make(Network, VPC),
        make(Subnet, S1, network_id=VPC),
        make(Subnet, S2, network_id=VPC),
    )
    f = only(run(FLOW, net, sub1, sub2, flow(S1, 1), flow(S2, 2, traffic="ACCEPT")), VPC)
    assert f.status is Status.FAIL and f.evidence["accept_only"] == ["subnet-2"]
    assert f.evidence["subnets_without"] == ["subnet-2"]


def test_unreported_traffic_type_is_error_only_when_it_decides() -> None:
    net = make(Network, VPC)
    f = only(run(FLOW, net, flow(VPC, traffic="")), VPC)
    assert f.status is Status.ERROR and "traffic type" in f.message
    decided = run(FLOW, net, flow(VPC, 1, traffic=""), flow(VPC, 2, traffic="REJECT"))
    assert statuses(decided) == {VPC: Status.PASS}
    # an ACCEPT-only log is not rescued by an unreported state: it never counts
    assert statuses(run(FLOW, net, flow(VPC, enabled=None, traffic="ACCEPT"))) == {VPC: Status.FAIL}


def test_missing_flow_logs_behind_a_regional_gap_is_error_only_there() -> None:
    net = make(Network, VPC)
    findings = run(FLOW, net, gaps=(gap(("flow_log_config",), region="eu-west-1"),))
    assert {f.status for f in findings} == {Status.ERROR}
    elsewhere = run(FLOW, net, gaps=(gap(("flow_log_config",), region="us-east-1"),))
    assert statuses(elsewhere) == {
        VPC: Status.FAIL,
        scope_ref("aws", ACCOUNT, "us-east-1").id: Status.ERROR,
    }


def _eni(
    *sets: str, attached: str | None = "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"
) -> NetworkInterface:
    return make(
        NetworkInterface,
        ec2("network-interface/eni-1"),
        attached_to=attached,
        firewall_set_ids=sets,
    )


def test_interface_guarded_only_by_the_default_group_fails_low_on_aws() -> None:
    dflt = make(FirewallRuleSet, DSG, set_kind="sg", is_default=True)
    f = only(run(FILTER, dflt, _eni(DSG)), _eni().id)
    assert f.status is Status.FAIL and f.severity is Severity.LOW
    assert "default security group" in f.message


def test_interface_with_a_purpose_made_group_passes() -> None:
    dflt = make(FirewallRuleSet, DSG, set_kind="sg", is_default=True)
    custom = make(FirewallRuleSet, CSG, set_kind="sg")
    assert {f.status for f in run(FILTER, dflt, custom, _eni(DSG, CSG))} == {Status.PASS}


def test_interface_with_an_uncollected_group_is_error_and_detached_ones_are_skipped() -> None:
    assert {f.status for f in run(FILTER, _eni(CSG))} == {Status.ERROR}
    assert run(FILTER, _eni(DSG, attached=None)) == []
