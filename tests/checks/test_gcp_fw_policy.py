"""GCP firewall policies (rule sets of kind fw_policy) judged on their own rules."""

from __future__ import annotations

from dataclasses import replace

from scanner.inventory import FirewallRule, FirewallRuleSet
from scanner.results import Severity, Status
from tests.checks.builders import only
from tests.checks.gcp_builders import FW_SET, NETWORK, fw, fw_set, gap, implied_deny, make, run, vm

ADMIN = "any.firewall.world_ingress_admin_port"
ALL = "any.firewall.world_ingress_all_ports"
POLICY = f"{NETWORK}/firewallPolicies/edge-policy"


def policy() -> FirewallRuleSet:
    return make(
        FirewallRuleSet, POLICY, name="edge-policy", set_kind="fw_policy", network_id=NETWORK
    )


def policy_rule(priority: int, action: str = "allow", **kw: object) -> FirewallRule:
    base = fw("x", action=action, protocol="tcp", ports=(22, 22), priority=priority, **kw)  # type: ignore[arg-type]
    return replace(base, id=f"{POLICY}/rules/{priority}/0", set_id=POLICY, set_kind="fw_policy")


def test_policy_allowing_ssh_from_world_fails_while_the_vpc_firewall_passes() -> None:
    public = vm("app-1", public_ips=("34.1.2.3",), firewall_set_ids=(FW_SET, POLICY))
    findings = run(ADMIN, fw_set(), implied_deny(), policy(), policy_rule(1000), public)
    pol = only(findings, POLICY)
    assert pol.status is Status.FAIL and pol.severity is Severity.CRITICAL
    assert pol.message.startswith("firewall policy edge-policy on network prod-vpc admits")
    assert pol.evidence["public_targets"] == [public.id]
    assert only(findings, FW_SET).status is Status.PASS
    ip = only(
        run("any.compute.public_ip_attached", fw_set(), policy(), policy_rule(1000), public),
        public.id,
    )
    assert ip.evidence["admin_ports_open_to_world"] == [22]


def test_policy_deny_before_the_allow_passes() -> None:
    deny = policy_rule(10, action="deny")
    assert only(run(ADMIN, policy(), deny, policy_rule(1000)), POLICY).status is Status.PASS
    assert only(run(ALL, policy(), policy_rule(1000)), POLICY).status is Status.PASS


def test_failed_effective_firewalls_leaves_the_vpc_firewall_error() -> None:
    findings = run(
        ADMIN, fw_set(), implied_deny(), gaps=(gap(("firewall_rule_set", "firewall_rule")),)
    )
    assert {f.status for f in findings} == {Status.ERROR}


def test_intra_google_deny_does_not_hide_a_world_ssh_allow() -> None:
    """A deny from 0.0.0.0/0 with srcNetworkType NON_INTERNET (normalised as not from the
    world) does not cover internet traffic: the lower-priority world allow still fails."""
    deny = replace(
        policy_rule(10, action="deny"),
        sources=("0.0.0.0/0", "networkType:NON_INTERNET"),
        source_is_world=False,
    )
    pol = only(run(ADMIN, policy(), deny, policy_rule(1000)), POLICY)
    assert pol.status is Status.FAIL


def test_secure_tag_allow_reaches_every_instance_and_secure_tag_deny_hides_nothing() -> None:
    tag = "secureTag:tagValues/281484"
    public = vm("app-1", public_ips=("34.1.2.3",), firewall_set_ids=(FW_SET, POLICY))
    allow = policy_rule(1000, targets=(tag,))
    findings = run(ADMIN, fw_set(), implied_deny(), policy(), allow, public)
    pol = only(findings, POLICY)
    assert pol.status is Status.FAIL and pol.severity is Severity.CRITICAL
    assert pol.evidence["public_targets"] == [public.id]
    ip = only(run("any.compute.public_ip_attached", fw_set(), policy(), allow, public), public.id)
    assert ip.evidence["admin_ports_open_to_world"] == [22]
    deny = policy_rule(10, action="deny", targets=(tag,))
    findings = run(ADMIN, fw_set(), implied_deny(), policy(), deny, policy_rule(1000), public)
    assert only(findings, POLICY).status is Status.FAIL
