"""Firewall rule sets that admit the internet (security groups, network ACLs, NSGs...)."""

from __future__ import annotations

from collections.abc import Iterator

from checks._common import label, of_providers
from checks._exposure import (
    describe_rule,
    exposed_on_all_ports,
    exposed_on_port,
    instances_behind,
    rules_by_set,
    traffic_text,
)
from scanner.inventory import FirewallRule, FirewallRuleSet, Inventory, NetworkInterface
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)
CIS_ADMIN_PORTS = (
    "CIS AWS 3.0 5.1",
    "CIS AWS 3.0 5.2",
    "CIS AWS 3.0 5.3",
    "CIS AWS 4.0 5.2",
    "CIS AWS 4.0 5.3",
    "CIS AWS 4.0 5.4",
)
"""No NACL or security group (IPv4, IPv6) admits the world to admin ports: a rule open on
every port fails these items as well, so both checks answer to them."""


@check(
    id="any.firewall.world_ingress_all_ports",
    title="No firewall rule set admits the internet on every port",
    severity=Severity.CRITICAL,
    controls=("CLD.9.5.1", "CLD.13.1.4"),
    providers=PROVIDERS,
    needs=(FirewallRuleSet, FirewallRule),
    rationale=(
        "A rule that admits 0.0.0.0/0 or ::/0 on every port exposes every service behind it, "
        "including ones nobody meant to publish, and removes the segregation between the "
        "workload and the internet."
    ),
    remediation=(
        "Replace the rule with rules for the specific ports and source ranges that are needed: "
        "`aws ec2 revoke-security-group-ingress --group-id sg-... --ip-permissions "
        "IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]`; for a network ACL, "
        "`aws ec2 delete-network-acl-entry --network-acl-id acl-... --ingress --rule-number N`."
    ),
    references=(
        *CIS_ADMIN_PORTS,
        "prowler:ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
        "prowler:ec2_networkacl_allow_ingress_any_port",
    ),
)
def world_ingress_all_ports(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    grouped = rules_by_set(inv)
    for fw_set in of_providers(inv, FirewallRuleSet, PROVIDERS):
        exposed = exposed_on_all_ports(grouped.get(fw_set.id, ()))
        if exposed:
            what = ", ".join(sorted({traffic_text(r) for r in exposed}))
            yield Result.failed(
                fw_set,
                f"{fw_set.set_kind} {label(fw_set)} admits the internet to {what}",
                set_kind=fw_set.set_kind,
                rules=[describe_rule(r) for r in exposed],
            )
        else:
            yield Result.passed(
                fw_set,
                f"{fw_set.set_kind} {label(fw_set)} admits no world traffic on every port",
                set_kind=fw_set.set_kind,
            )


@check(
    id="any.firewall.world_ingress_admin_port",
    title="No firewall rule set admits the internet to administrative ports",
    severity=Severity.HIGH,
    controls=("CLD.9.5.2", "CLD.9.5.1", "CLD.13.1.4"),
    providers=PROVIDERS,
    needs=(FirewallRuleSet, FirewallRule),
    rationale=(
        "SSH and RDP open to the internet are scanned and brute-forced within minutes; an "
        "administrative port must be reachable only from known ranges, a bastion or a "
        "brokered session service."
    ),
    remediation=(
        "Restrict the source of the admin-port rule to known ranges or remove it and use "
        "Session Manager: `aws ec2 revoke-security-group-ingress --group-id sg-... "
        "--protocol tcp --port 22 --cidr 0.0.0.0/0` (likewise udp/3389 and all-traffic "
        "rules); for network ACLs add a lower-numbered deny or delete the allow entry."
    ),
    references=(
        *CIS_ADMIN_PORTS,
        "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
        "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
        "prowler:ec2_networkacl_allow_ingress_tcp_port_22",
        "prowler:ec2_networkacl_allow_ingress_tcp_port_3389",
    ),
)
def world_ingress_admin_port(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    grouped = rules_by_set(inv)
    ports = sorted(cfg.admin_ports)
    for fw_set in of_providers(inv, FirewallRuleSet, PROVIDERS):
        rules = grouped.get(fw_set.id, ())
        by_port = {p: exposed_on_port(rules, p) for p in ports}
        open_ports = [p for p, hits in by_port.items() if hits]
        if not open_ports:
            yield Result.passed(
                fw_set,
                f"{fw_set.set_kind} {label(fw_set)} admits no world traffic to admin ports "
                f"{', '.join(map(str, ports))}",
                admin_ports=ports,
            )
            continue
        public = _public_targets(inv, fw_set)
        exposed = {r.id: r for p in open_ports for hits in by_port[p].values() for r in hits}
        open_by_protocol = {
            proto: [p for p in open_ports if proto in by_port[p]] for proto in ("tcp", "udp")
        }
        open_text = " and ".join(
            f"{proto}/{','.join(map(str, found))}"
            for proto, found in open_by_protocol.items()
            if found
        )
        yield Result.failed(
            fw_set,
            f"{fw_set.set_kind} {label(fw_set)} admits the internet to {open_text}"
            + (f" and guards {len(public)} resource(s) with a public IP" if public else ""),
            severity=Severity.CRITICAL if public else None,
            set_kind=fw_set.set_kind,
            open_ports=open_ports,
            open_by_protocol={k: v for k, v in open_by_protocol.items() if v},
            rules=[describe_rule(r) for r in exposed.values()],
            public_targets=public,
        )


def _public_targets(inv: Inventory, fw_set: FirewallRuleSet) -> list[str]:
    found = {vm.id for vm in instances_behind(inv, fw_set) if vm.public_ips}
    found |= {
        eni.id
        for eni in inv.of(NetworkInterface)
        if eni.public_ips and fw_set.id in eni.firewall_set_ids
    }
    return sorted(found)
