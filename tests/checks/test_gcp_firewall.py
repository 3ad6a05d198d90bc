"""GCP VPC firewalls: priority, deny precedence, targets, direction, disabled rules."""

from __future__ import annotations

from typing import Any

from scanner.inventory import Entity, FirewallRule
from scanner.results import Severity, Status
from tests.checks.builders import only
from tests.checks.gcp_builders import (
    APP_SA,
    FW_SET,
    NETWORK,
    fw,
    fw_set,
    gap,
    implied_deny,
    instance_id,
    run,
    vm,
)

ALL = "any.firewall.world_ingress_all_ports"
ADMIN = "any.firewall.world_ingress_admin_port"


def ssh(name: str, **kw: Any) -> FirewallRule:
    return fw(name, protocol="tcp", ports=(22, 22), **kw)


def status(check_id: str, *rules: Entity) -> Status:
    return only(run(check_id, fw_set(), implied_deny(), *rules), FW_SET).status


def test_allow_all_from_the_world_fails_every_port_check() -> None:
    f = only(run(ALL, fw_set(), implied_deny(), fw("allow-everything")), FW_SET)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert f.message == "the VPC firewall of network prod-vpc admits the internet to all traffic"
    assert f.evidence["rules"][0]["id"].endswith("/global/firewalls/allow-everything/allow/0")


def test_only_the_implied_rules_pass() -> None:
    assert status(ALL) is Status.PASS
    assert status(ADMIN) is Status.PASS


def test_ssh_from_the_world_fails_admin_but_not_all_ports() -> None:
    assert status(ADMIN, ssh("default-allow-ssh")) is Status.FAIL
    assert status(ALL, ssh("default-allow-ssh")) is Status.PASS


def test_a_higher_priority_deny_shadows_the_allow() -> None:
    deny = fw("deny-all", action="deny", priority=100)
    assert status(ALL, deny, fw("allow-everything", priority=1000)) is Status.PASS


def test_a_deny_of_the_same_priority_wins() -> None:
    deny = ssh("deny-ssh", action="deny", priority=1000)
    allow = ssh("allow-ssh", priority=1000)
    assert status(ADMIN, allow, deny) is Status.PASS


def test_a_lower_priority_deny_does_not_shadow() -> None:
    deny = ssh("deny-ssh", action="deny", priority=2000)
    assert status(ADMIN, deny, ssh("allow-ssh", priority=1000)) is Status.FAIL


def test_a_deny_for_other_targets_does_not_shadow() -> None:
    deny = ssh("deny-ssh-db", action="deny", priority=100, targets=("tag:db",))
    allow = ssh("allow-ssh-web", targets=("tag:web",))
    assert status(ADMIN, deny, allow) is Status.FAIL


def test_a_deny_for_the_same_targets_shadows() -> None:
    deny = ssh("deny-ssh-web", action="deny", priority=100, targets=("tag:web",))
    allow = ssh("allow-ssh-web", targets=("tag:web",))
    assert status(ADMIN, deny, allow) is Status.PASS


def test_a_targeted_deny_does_not_shadow_an_allow_for_every_instance() -> None:
    deny = ssh("deny-ssh-web", action="deny", priority=100, targets=("tag:web",))
    assert status(ADMIN, deny, ssh("allow-ssh")) is Status.FAIL


def test_disabled_egress_and_private_source_rules_pass() -> None:
    rules = (
        fw("disabled", enabled=False),
        fw("egress-all", direction="egress"),
        fw("from-corp", sources=("10.0.0.0/8",)),
        fw("from-lb-tag", sources=("tag:lb",)),
    )
    assert status(ALL, *rules) is Status.PASS
    assert status(ADMIN, *rules) is Status.PASS


def test_ipv6_world_source_fails() -> None:
    assert status(ADMIN, ssh("ssh-v6", sources=("::/0",))) is Status.FAIL


def test_public_instance_targeted_by_the_rule_makes_it_critical() -> None:
    web = vm("web-1", network_tags=("web",), public_ips=("34.1.2.3",))
    findings = run(ADMIN, fw_set(), implied_deny(), ssh("ssh-web", targets=("tag:web",)), web)
    f = only(findings, FW_SET)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert f.evidence["public_targets"] == [instance_id("web-1")]


def test_public_instance_the_rule_does_not_target_keeps_high() -> None:
    db = vm("db-1", network_tags=("db",), public_ips=("34.1.2.4",))
    findings = run(ADMIN, fw_set(), implied_deny(), ssh("ssh-web", targets=("tag:web",)), db)
    f = only(findings, FW_SET)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert f.evidence["public_targets"] == []


def test_service_account_targets_match_the_instance_identity() -> None:
    rule = ssh("ssh-app", targets=(f"serviceAccount:{APP_SA}",))
    deny = ssh("deny-app", action="deny", priority=10, targets=(f"serviceAccount:{APP_SA}",))
    public = vm("app-1", public_ips=("34.1.2.5",))
    f = only(run(ADMIN, fw_set(), implied_deny(), rule, public), FW_SET)
    assert f.severity is Severity.CRITICAL
    assert status(ADMIN, rule, deny) is Status.PASS


def test_public_ip_check_names_the_admin_port_only_when_the_instance_is_targeted() -> None:
    rule = ssh("ssh-web", targets=("tag:web",))
    web = vm("web-1", network_tags=("web",), public_ips=("34.1.2.3",))
    db = vm("db-1", network_tags=("db",), public_ips=("34.1.2.4",))
    findings = run("any.compute.public_ip_attached", fw_set(), implied_deny(), rule, web, db)
    assert only(findings, web.id).severity is Severity.HIGH
    assert only(findings, web.id).evidence["admin_ports_open_to_world"] == [22]
    assert only(findings, db.id).severity is Severity.MEDIUM


def test_gap_on_firewalls_is_error() -> None:
    findings = run(ADMIN, gaps=(gap(("firewall_rule",)),))
    assert {f.status for f in findings} == {Status.ERROR}


def test_a_deny_in_another_network_does_not_shadow() -> None:
    """An instance with a NIC in two networks meets each network's rules separately."""
    other = NETWORK.replace("prod-vpc", "mgmt-vpc")
    deny = ssh("deny-ssh-mgmt", action="deny", priority=10, network=other)
    both = vm("dual", public_ips=("34.1.2.6",), firewall_set_ids=(FW_SET, f"{other}/firewalls"))
    findings = run(
        "any.compute.public_ip_attached",
        fw_set(),
        fw_set(other),
        ssh("allow-ssh"),
        deny,
        both,
    )
    assert only(findings, both.id).evidence["admin_ports_open_to_world"] == [22]


def test_critical_only_for_the_network_that_exposes_the_instance() -> None:
    """The prod network opens SSH only to tag web (not this instance); mgmt opens it to all."""
    other = NETWORK.replace("prod-vpc", "mgmt-vpc")
    both = vm("dual", public_ips=("34.1.2.6",), firewall_set_ids=(FW_SET, f"{other}/firewalls"))
    web_only = ssh("ssh-web", targets=("tag:web",))
    mgmt = ssh("mgmt-ssh", network=other)
    findings = run(ADMIN, fw_set(), fw_set(other), web_only, mgmt, both)
    prod, mgmt_fw = only(findings, FW_SET), only(findings, f"{other}/firewalls")
    assert (prod.status, prod.severity, prod.evidence["public_targets"]) == (
        Status.FAIL,
        Severity.HIGH,
        [],
    )
    assert (mgmt_fw.severity, mgmt_fw.evidence["public_targets"]) == (
        Severity.CRITICAL,
        [both.id],
    )
