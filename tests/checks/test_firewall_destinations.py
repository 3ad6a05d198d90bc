"""A deny shadows an allow only when its destination covers everything the allow reaches."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from checks import _gcp
from checks._exposure import exposed_on_port
from providers.azure.normalise.network import security_rule
from providers.gcp.normalise.common import Ctx
from providers.gcp.normalise.firewall import firewall
from providers.gcp.normalise.fw_policy import policy_rules
from scanner.inventory import FirewallRule
from scanner.results import Severity, Status
from tests.checks import azure_builders as az_b
from tests.checks import gcp_builders as gcp_b
from tests.checks.builders import only, statuses
from tests.checks.test_azure_network import NIC_NSG, SUBNET_NSG, VM, topology

ADMIN = "any.firewall.world_ingress_admin_port"
ALL = "any.firewall.world_ingress_all_ports"
PUBLIC = "any.compute.public_ip_attached"
SSH = (22, 22)


# --- Azure NSGs ----------------------------------------------------------------------------


def nsg_ssh(
    set_id: str, name: str, priority: int, dest: tuple[str, ...], **kw: Any
) -> FirewallRule:
    return replace(az_b.nsg_rule(set_id, name, priority, ports=SSH, **kw), targets=dest)


def test_azure_deny_to_one_host_does_not_hide_an_allow_to_every_host() -> None:
    deny = nsg_ssh(NIC_NSG.id, "deny-one", 100, ("10.0.0.5/32",), access="deny", source="Internet")
    allow = nsg_ssh(NIC_NSG.id, "allow-all", 200, ("*",), source="Internet")
    f = only(az_b.az_run(ADMIN, NIC_NSG, deny, allow), NIC_NSG.id)
    assert f.status is Status.FAIL
    assert [r["id"] for r in f.evidence["rules"]] == [allow.id]


def test_azure_deny_to_every_destination_or_the_same_one_still_shadows() -> None:
    for deny_dest, allow_dest in (
        (("*",), ("*",)),
        (("Any",), ("10.0.0.0/24",)),
        (("10.0.0.5/32",), ("10.0.0.5/32",)),
        (("0.0.0.0/0",), ("*",)),
    ):
        deny = nsg_ssh(NIC_NSG.id, "deny", 100, deny_dest, access="deny", source="0.0.0.0/0")
        allow = nsg_ssh(NIC_NSG.id, "allow", 200, allow_dest, source="0.0.0.0/0")
        assert statuses(az_b.az_run(ADMIN, NIC_NSG, deny, allow)) == {NIC_NSG.id: Status.PASS}


def test_azure_ipv4_only_destination_does_not_cover_an_any_family_allow() -> None:
    deny = nsg_ssh(NIC_NSG.id, "deny", 100, ("0.0.0.0/0",), access="deny", source="Internet")
    allow = nsg_ssh(NIC_NSG.id, "allow", 200, ("*",), source="Internet")
    assert exposed_on_port([deny, allow], 22)


def test_azure_deny_to_one_host_leaves_the_vm_exposed_through_both_layers() -> None:
    rules = [
        nsg_ssh(SUBNET_NSG.id, "ssh", 100, ("*",)),
        nsg_ssh(NIC_NSG.id, "deny-one", 100, ("10.0.0.5/32",), access="deny"),
        nsg_ssh(NIC_NSG.id, "allow", 200, ("*",)),
    ]
    entities = [SUBNET_NSG, NIC_NSG, *rules, *topology()]
    f = only(az_b.az_run(ADMIN, *entities), NIC_NSG.id)
    assert f.severity is Severity.CRITICAL and f.evidence["public_targets"] == [VM]
    f = only(az_b.az_run(PUBLIC, *entities), VM)
    assert f.evidence["admin_ports_open_to_world"] == [22]


def test_azure_normaliser_carries_destination_prefixes_and_asgs() -> None:
    asg = az_b.arm("Microsoft.Network/applicationSecurityGroups/Web")
    raw = {
        "id": f"{NIC_NSG.id}/securityrules/deny-web",
        "name": "deny-web",
        "direction": "Inbound",
        "access": "Deny",
        "priority": 100,
        "protocol": "Tcp",
        "destination_port_range": "22",
        "source_address_prefix": "Internet",
        "destination_address_prefixes": ["10.0.0.4", "10.0.0.5"],
        "destination_application_security_groups": [{"id": asg}],
    }
    rule = security_rule(raw, az_b.SUB, NIC_NSG)
    assert rule.targets == ("10.0.0.4", "10.0.0.5", asg.lower())


# --- GCP VPC firewalls ---------------------------------------------------------------------


def gcp_ssh(name: str, **kw: Any) -> FirewallRule:
    return gcp_b.fw(name, protocol="tcp", ports=SSH, **kw)


def gcp_admin(*rules: FirewallRule, **vm_fields: Any) -> list[Any]:
    return gcp_b.run(ADMIN, gcp_b.fw_set(), gcp_b.implied_deny(), *rules, gcp_b.vm(**vm_fields))


def test_gcp_deny_to_one_destination_does_not_hide_allow_ssh() -> None:
    deny = gcp_ssh("deny-host", action="deny", priority=100, targets=("dest:10.0.0.5/32",))
    allow = gcp_ssh("allow-ssh", priority=1000)
    f = only(gcp_admin(deny, allow, public_ips=("34.1.2.3",)), gcp_b.FW_SET)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert f.evidence["public_targets"] == [gcp_b.instance_id("app-1")]


def test_gcp_deny_without_destination_or_with_the_same_one_shadows() -> None:
    for deny_targets, allow_targets in (((), ()), (("dest:10.0.0.5/32",), ("dest:10.0.0.5/32",))):
        deny = gcp_ssh("deny", action="deny", priority=100, targets=deny_targets)
        allow = gcp_ssh("allow-ssh", targets=allow_targets)
        f = only(gcp_admin(deny, allow, public_ips=("34.1.2.3",)), gcp_b.FW_SET)
        assert f.status is Status.PASS


def test_gcp_tagged_deny_with_a_destination_does_not_shadow_for_the_tagged_instance() -> None:
    deny = gcp_ssh("deny", action="deny", priority=100, targets=("tag:web", "dest:10.0.0.5/32"))
    allow = gcp_ssh("allow-ssh")
    found = gcp_b.run(
        PUBLIC,
        gcp_b.fw_set(),
        gcp_b.implied_deny(),
        deny,
        allow,
        gcp_b.vm("web-1", network_tags=("web",), public_ips=("34.1.2.3",)),
    )
    assert only(found, gcp_b.instance_id("web-1")).evidence["admin_ports_open_to_world"] == [22]
    # Without the destination the tag deny shadows the allow for that instance.
    deny = replace(deny, targets=("tag:web",))
    found = gcp_b.run(
        PUBLIC,
        gcp_b.fw_set(),
        gcp_b.implied_deny(),
        deny,
        allow,
        gcp_b.vm("web-1", network_tags=("web",), public_ips=("34.1.2.3",)),
    )
    assert only(found, gcp_b.instance_id("web-1")).evidence["admin_ports_open_to_world"] == []


def test_gcp_a_destination_is_not_an_instance_selector() -> None:
    """An allow with only destination ranges applies to every instance of the network."""
    allow = gcp_ssh("allow-ssh", targets=("dest:0.0.0.0/0",))
    f = only(gcp_admin(allow, public_ips=("34.1.2.3",)), gcp_b.FW_SET)
    assert f.severity is Severity.CRITICAL
    assert f.evidence["public_targets"] == [gcp_b.instance_id("app-1")]


def test_gcp_normaliser_keeps_ingress_destination_ranges_as_dest_targets() -> None:
    ctx = Ctx(gcp_b.PROJECT)
    item = {
        "selfLink": f"{gcp_b.API}/projects/{gcp_b.PROJECT}/global/firewalls/deny-host",
        "network": gcp_b.NETWORK,
        "direction": "INGRESS",
        "priority": 100,
        "sourceRanges": ["0.0.0.0/0"],
        "destinationRanges": ["10.0.0.5/32"],
        "targetTags": ["web"],
        "denied": [{"IPProtocol": "tcp", "ports": ["22"]}],
    }
    (rule,) = firewall(ctx, item)
    assert rule.targets == ("tag:web", "dest:10.0.0.5/32")
    assert rule.sources == ("0.0.0.0/0",)
    egress = {**item, "direction": "EGRESS", "sourceRanges": []}
    (rule,) = firewall(ctx, egress)
    assert rule.sources == ("10.0.0.5/32",) and rule.targets == ("tag:web",)


# --- GCP: only running instances make the admin-port finding critical ----------------------


def test_gcp_terminated_instance_with_an_external_ip_is_not_a_public_target() -> None:
    allow = gcp_ssh("allow-ssh")
    f = only(gcp_admin(allow, state="terminated", public_ips=("34.1.2.3",)), gcp_b.FW_SET)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert f.evidence["public_targets"] == []
    f = only(gcp_admin(allow, state="running", public_ips=("34.1.2.3",)), gcp_b.FW_SET)
    assert f.severity is Severity.CRITICAL


def test_gcp_firewall_policy_ingress_dest_ranges_are_dest_targets() -> None:
    rule = {
        "priority": 100,
        "direction": "INGRESS",
        "action": "deny",
        "match": {
            "srcIpRanges": ["0.0.0.0/0"],
            "destIpRanges": ["10.0.0.5/32"],
            "layer4Configs": [{"ipProtocol": "tcp", "ports": ["22"]}],
        },
    }
    set_id = f"{gcp_b.NETWORK}/firewallPolicies/p1"
    (deny,) = policy_rules(Ctx(gcp_b.PROJECT), gcp_b.NETWORK, set_id, "p1", rule)
    assert deny.targets == ("dest:10.0.0.5/32",)
    allow = replace(gcp_ssh("allow-ssh"), set_id=set_id, set_kind=deny.set_kind)
    assert _gcp.exposed_on_port([deny, allow], 22)["tcp"] == [allow]
