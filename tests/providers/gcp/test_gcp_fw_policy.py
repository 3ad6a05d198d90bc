"""Firewall policies in force on a network (networks.getEffectiveFirewalls): normaliser and
collection against the fake."""

from __future__ import annotations

from fixtures.gcp.fake_google import FakeGoogle
from providers.gcp import GcpOptions, collect
from providers.gcp.normalise import fw_policy
from providers.gcp.normalise.common import Ctx
from scanner.inventory import (
    ALL_PORTS,
    ComputeInstance,
    FirewallRule,
    FirewallRuleSet,
    GapReason,
    Inventory,
    PortRange,
)

CTX = Ctx("p1")
NET = "https://www.googleapis.com/compute/v1/projects/p1/global/networks/n"
OTHER = "https://www.googleapis.com/compute/v1/projects/p1/global/networks/other"
OP = "compute.networks.getEffectiveFirewalls"


def _rule(**extra: object) -> dict[str, object]:
    return {
        "priority": 10,
        "action": "allow",
        "direction": "INGRESS",
        "match": {
            "srcIpRanges": ["0.0.0.0/0"],
            "layer4Configs": [
                {"ipProtocol": "tcp", "ports": ["22", "8000-8080"]},
                {"ipProtocol": "udp"},
            ],
        },
        **extra,
    }


def test_policy_rules_become_a_rule_set_per_policy() -> None:
    body = {
        "firewalls": [{"name": "vpc-rule"}],
        "firewallPolicys": [
            {"name": "7001", "shortName": "org", "type": "HIERARCHY", "rules": [_rule()]},
            {
                "name": "edge",
                "type": "NETWORK",
                "rules": [
                    _rule(
                        action="goto_next",
                        priority=5,
                        targetServiceAccounts=["sa@p1.iam.gserviceaccount.com"],
                    ),
                    _rule(priority=6, targetResources=[OTHER]),  # another network's
                    _rule(priority=7, targetResources=["projects/p1/global/networks/n"]),
                    _rule(priority=8, action="deny", disabled=True, direction="EGRESS"),
                ],
            },
        ],
    }
    out = fw_policy.effective_policies(CTX, NET, body)
    sets = [e for e in out if isinstance(e, FirewallRuleSet)]
    assert [(s.id, s.name, s.set_kind, s.network_id) for s in sets] == [
        (f"{NET}/firewallPolicies/7001", "org", "fw_policy", NET),
        (f"{NET}/firewallPolicies/edge", "edge", "fw_policy", NET),
    ]
    rules = [e for e in out if isinstance(e, FirewallRule)]
    org = [r for r in rules if r.set_id == sets[0].id]
    assert [(r.protocol, r.ports) for r in org] == [
        ("tcp", (PortRange(22, 22), PortRange(8000, 8080))),
        ("udp", (ALL_PORTS,)),
    ]
    assert all(r.admits_world() and r.priority == 10 and r.targets == () for r in org)
    edge = [r for r in rules if r.set_id == sets[1].id]
    assert sorted({r.priority for r in edge}) == [5, 7, 8]  # 6 targets only another network
    goto = [r for r in edge if r.priority == 5]
    assert {r.action for r in goto} == {"goto_next"}
    assert goto[0].targets == ("serviceAccount:sa@p1.iam.gserviceaccount.com",)
    egress = next(r for r in edge if r.priority == 8)
    assert (egress.direction, egress.enabled, egress.source_is_world) == ("egress", False, False)


def test_internet_network_type_and_no_policies() -> None:
    rule = _rule(match={"srcNetworkType": "INTERNET", "layer4Configs": [{"ipProtocol": "all"}]})
    out = fw_policy.effective_policies(
        CTX, NET, {"firewallPolicys": [{"name": "x", "rules": [rule]}]}
    )
    found = [e for e in out if isinstance(e, FirewallRule)]
    assert found[0].source_is_world and found[0].protocol == "all"
    assert fw_policy.effective_policies(CTX, NET, {"firewalls": []}) == []


def _scan(project: str) -> Inventory:
    return collect(GcpOptions(projects=(project,), retry_deadline=2.0, timeout=5.0))


def test_bad_project_policy_allowing_ssh_from_world_is_collected(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    inv = _scan("acme-bad")
    assert not [g for g in inv.gaps if g.operation == OP]
    sets = [s for s in inv.of(FirewallRuleSet) if s.set_kind == "fw_policy"]
    assert [s.name for s in sets] == ["edge-policy"]
    ssh = [r for r in inv.of(FirewallRule) if r.set_id == sets[0].id and r.admits_world()]
    assert [(r.protocol, r.ports, r.priority) for r in ssh] == [("tcp", (PortRange(22, 22),), 1000)]
    # The instances on that network are judged against the policy as well.
    on_default = [
        vm for vm in inv.of(ComputeInstance) if vm.network_id and vm.network_id.endswith("/default")
    ]
    assert on_default and all(sets[0].id in vm.firewall_set_ids for vm in on_default)
    paths = {r.path for r in gcp_fake.requests()}
    assert "/compute/v1/projects/acme-bad/global/networks/default/getEffectiveFirewalls" in paths


def test_failed_effective_firewalls_is_a_firewall_gap(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    gcp_fake.fail(r"/getEffectiveFirewalls$", project="acme-good")
    inv = _scan("acme-good")
    gaps = [g for g in inv.gaps if g.operation == OP]
    assert gaps and all(g.reason is GapReason.ACCESS_DENIED for g in gaps)
    assert all(set(g.kinds) == {"firewall_rule_set", "firewall_rule"} for g in gaps)
    assert not [s for s in inv.of(FirewallRuleSet) if s.set_kind == "fw_policy"]


def test_non_internet_network_type_narrows_world_ranges() -> None:
    """Google ANDs srcIpRanges with srcNetworkType: 0.0.0.0/0 from inside Google's
    networks is not the world, for a deny (it must not shadow) and an allow alike."""
    for net_type in ("NON_INTERNET", "VPC_NETWORKS", "INTRA_VPC"):
        for action in ("deny", "allow"):
            match = {
                "srcIpRanges": ["0.0.0.0/0"],
                "srcNetworkType": net_type,
                "layer4Configs": [{"ipProtocol": "tcp", "ports": ["22"]}],
            }
            rule = _rule(action=action, match=match)
            out = fw_policy.effective_policies(
                CTX, NET, {"firewallPolicys": [{"name": "x", "rules": [rule]}]}
            )
            found = [e for e in out if isinstance(e, FirewallRule)]
            assert not found[0].source_is_world, (net_type, action)
            assert f"networkType:{net_type}" in found[0].sources
    internet = _rule(match={"srcIpRanges": ["0.0.0.0/0"], "srcNetworkType": "INTERNET"})
    out = fw_policy.effective_policies(
        CTX, NET, {"firewallPolicys": [{"name": "x", "rules": [internet]}]}
    )
    assert next(e for e in out if isinstance(e, FirewallRule)).source_is_world
