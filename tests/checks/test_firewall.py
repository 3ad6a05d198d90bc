"""World-open ingress: security groups (unordered) and network ACLs (deny order)."""

from __future__ import annotations

from scanner.inventory import ComputeInstance, FirewallRule, FirewallRuleSet
from scanner.registry import CheckConfig, load_checks
from scanner.results import Severity, Status
from tests.checks.builders import NOW, ec2, make, only, rule, run, statuses

ALL = "any.firewall.world_ingress_all_ports"
ADMIN = "any.firewall.world_ingress_admin_port"
SG = ec2("security-group/sg-0abc")
ACL = ec2("network-acl/acl-1")
SUBNET = ec2("subnet/subnet-1")
SG_SET = make(FirewallRuleSet, SG, name="web", set_kind="sg")
ACL_SET = make(FirewallRuleSet, ACL, set_kind="nacl", attached_to=(SUBNET,))


def acl(n: int, **kw: object) -> FirewallRule:
    return rule(ACL, n, priority=n, set_kind="nacl", **kw)  # type: ignore[arg-type]


def test_sg_open_to_world_on_every_protocol_fails_with_the_rule_as_evidence() -> None:
    f = only(run(ALL, SG_SET, rule(SG, 0)), SG)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert "sg-0abc (web)" in f.message and "all traffic" in f.message
    assert f.evidence["rules"][0]["sources"] == ["0.0.0.0/0"]


def test_tcp_every_port_from_ipv6_world_fails() -> None:
    findings = run(ALL, SG_SET, rule(SG, 0, protocol="tcp", source="::/0"))
    assert statuses(findings) == {SG: Status.FAIL}


def test_icmp_from_the_world_is_not_every_port() -> None:
    assert statuses(run(ALL, SG_SET, rule(SG, 0, protocol="icmp"))) == {SG: Status.PASS}
    assert statuses(run(ADMIN, SG_SET, rule(SG, 0, protocol="icmp"))) == {SG: Status.PASS}


def test_private_source_egress_and_disabled_rules_pass() -> None:
    rules = [
        rule(SG, 0, source="10.0.0.0/8"),
        rule(SG, 1, direction="egress"),
        make(
            FirewallRule,
            f"{SG}/ingress/9",
            set_id=SG,
            source_is_world=True,
            sources=("0.0.0.0/0",),
            enabled=False,
        ),
    ]
    assert statuses(run(ALL, SG_SET, *rules)) == {SG: Status.PASS}
    assert statuses(run(ADMIN, SG_SET, *rules)) == {SG: Status.PASS}


def test_nacl_allow_behind_an_earlier_world_deny_does_not_count() -> None:
    findings = run(ALL, ACL_SET, acl(50, action="deny"), acl(100))
    assert statuses(findings) == {ACL: Status.PASS}


def test_nacl_deny_after_the_allow_does_not_help() -> None:
    """The real AWS default NACL: 100 allow all, 32767 deny all."""
    findings = run(ALL, ACL_SET, acl(100), acl(32767, action="deny"))
    assert statuses(findings) == {ACL: Status.FAIL}


def test_nacl_ipv4_deny_does_not_shadow_an_ipv6_allow() -> None:
    findings = run(ALL, ACL_SET, acl(50, action="deny"), acl(100, source="::/0"))
    assert statuses(findings) == {ACL: Status.FAIL}


def test_nacl_partial_deny_leaves_the_rest_open() -> None:
    rules = (acl(50, action="deny", protocol="tcp", ports=(22, 22)), acl(100))
    assert statuses(run(ALL, ACL_SET, *rules)) == {ACL: Status.FAIL}
    f = only(run(ADMIN, ACL_SET, *rules), ACL)
    # The tcp/22 deny leaves udp/22 open behind the allow-all (CIS 5.x counts udp too).
    assert f.status is Status.FAIL and f.evidence["open_ports"] == [22, 3389]
    assert f.evidence["open_by_protocol"] == {"tcp": [3389], "udp": [22, 3389]}


def test_nacl_deny_from_private_range_does_not_shadow_world() -> None:
    rules = (acl(50, action="deny", source="10.0.0.0/8"), acl(100, protocol="tcp", ports=(22, 22)))
    assert statuses(run(ADMIN, ACL_SET, *rules)) == {ACL: Status.FAIL}


def test_nacl_tcp_deny_shadows_tcp_allow_for_all_ports() -> None:
    rules = (acl(10, action="deny", protocol="tcp"), acl(20, protocol="tcp"))
    assert statuses(run(ALL, ACL_SET, *rules)) == {ACL: Status.PASS}
    rules = (acl(10, action="deny", protocol="tcp"), acl(20, protocol="all"))
    assert statuses(run(ALL, ACL_SET, *rules)) == {ACL: Status.FAIL}


def test_admin_port_open_to_world_fails_high() -> None:
    f = only(run(ADMIN, SG_SET, rule(SG, 0, protocol="tcp", ports=(22, 22))), SG)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert "tcp/22" in f.message and f.evidence["public_targets"] == []


def test_admin_port_on_a_public_instance_is_critical() -> None:
    instance = make(
        ComputeInstance,
        ec2("instance/i-1"),
        state="running",
        firewall_set_ids=(SG,),
        public_ips=("203.0.113.7",),
    )
    f = only(run(ADMIN, SG_SET, rule(SG, 0, protocol="tcp", ports=(0, 1024)), instance), SG)
    assert f.severity is Severity.CRITICAL
    assert f.evidence["public_targets"] == [instance.id]


def test_a_stopped_public_instance_does_not_make_it_critical() -> None:
    instance = make(
        ComputeInstance,
        ec2("instance/i-1"),
        state="stopped",
        firewall_set_ids=(SG,),
        public_ips=("203.0.113.7",),
    )
    f = only(run(ADMIN, SG_SET, rule(SG, 0, protocol="tcp", ports=(0, 1024)), instance), SG)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert f.evidence["public_targets"] == []


def test_nacl_admin_exposure_reaches_instances_in_its_subnet() -> None:
    instance = make(
        ComputeInstance, ec2("instance/i-1"), subnet_id=SUBNET, public_ips=("203.0.113.7",)
    )
    f = only(run(ADMIN, ACL_SET, acl(100), instance), ACL)
    assert f.severity is Severity.CRITICAL


def test_other_ports_and_port_less_protocols_are_not_admin_exposure() -> None:
    rules = (
        rule(SG, 0, protocol="tcp", ports=(80, 443)),
        rule(SG, 1, protocol="udp", ports=(53, 53)),
        rule(SG, 2, protocol="icmpv6"),
        rule(SG, 3, protocol="47"),
    )
    assert statuses(run(ADMIN, SG_SET, *rules)) == {SG: Status.PASS}
    assert statuses(run(ALL, SG_SET, *rules)) == {SG: Status.PASS}


def test_udp_admin_port_is_exposure() -> None:
    """RDP also listens on udp/3389; CIS AWS 5.x counts tcp, udp and all protocols."""
    f = only(run(ADMIN, SG_SET, rule(SG, 0, protocol="udp", ports=(3389, 3389))), SG)
    assert f.status is Status.FAIL and "udp/3389" in f.message
    assert f.evidence["open_by_protocol"] == {"udp": [3389]}
    numbered = rule(SG, 0, protocol="17", ports=(3389, 3389))
    assert statuses(run(ADMIN, SG_SET, numbered)) == {SG: Status.FAIL}


def test_all_protocols_rule_opens_admin_ports_on_tcp_and_udp() -> None:
    f = only(run(ADMIN, SG_SET, rule(SG, 0)), SG)
    assert f.status is Status.FAIL and "tcp/22,3389 and udp/22,3389" in f.message


def test_nacl_deny_of_one_protocol_leaves_the_other_open() -> None:
    tcp_only = (acl(10, action="deny", protocol="tcp"), acl(20, protocol="all", ports=(3389, 3389)))
    f = only(run(ADMIN, ACL_SET, *tcp_only), ACL)
    assert f.status is Status.FAIL and f.evidence["open_by_protocol"] == {"udp": [3389]}
    both = (
        acl(10, action="deny", protocol="tcp"),
        acl(11, action="deny", protocol="udp"),
        acl(20, protocol="all"),
    )
    assert statuses(run(ADMIN, ACL_SET, *both)) == {ACL: Status.PASS}
    assert statuses(run(ALL, ACL_SET, *both)) == {ACL: Status.PASS}


def test_udp_on_every_port_is_all_ports_exposure() -> None:
    f = only(run(ALL, SG_SET, rule(SG, 0, protocol="udp")), SG)
    assert f.status is Status.FAIL and "udp/0-65535" in f.message


def test_admin_ports_come_from_the_config() -> None:
    cfg = CheckConfig(admin_ports=frozenset({5432}), now=NOW)
    ssh = rule(SG, 0, protocol="tcp", ports=(22, 22))
    assert statuses(run(ADMIN, SG_SET, ssh, cfg=cfg)) == {SG: Status.PASS}
    pg = rule(SG, 1, protocol="tcp", ports=(5432, 5432))
    assert statuses(run(ADMIN, SG_SET, pg, cfg=cfg)) == {SG: Status.FAIL}


def test_both_world_ingress_checks_answer_to_the_cis_admin_port_items() -> None:
    checks = load_checks()
    cis = [{r for r in checks[c].references if r.startswith("CIS AWS ")} for c in (ALL, ADMIN)]
    assert (
        cis[0]
        == cis[1]
        == {f"CIS AWS 3.0 5.{n}" for n in (1, 2, 3)} | {f"CIS AWS 4.0 5.{n}" for n in (2, 3, 4)}
    )
