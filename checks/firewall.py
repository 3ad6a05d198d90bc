"""Firewall rule sets that admit the internet (security groups, network ACLs, NSGs...)."""

from __future__ import annotations

from collections.abc import Iterator

from checks import _gcp
from checks._common import is_running, label, of_providers, short_id
from checks._exposure import (
    describe_rule,
    exposed_on_all_ports,
    exposed_on_port,
    instances_behind,
    layered_exposed_ports,
    rules_by_set,
    traffic_text,
)
from scanner.inventory import FirewallRule, FirewallRuleSet, Inventory, NetworkInterface
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws", "azure", "gcp")
CIS_AZURE_ADMIN_PORTS = (
    "CIS Azure 2.1 6.1",
    "CIS Azure 2.1 6.2",
    "CIS Azure 2.1 6.3",
    "CIS Azure 3.0 7.1",
    "CIS Azure 3.0 7.2",
    "CIS Azure 3.0 7.3",
)
"""RDP, SSH and UDP from the internet on NSGs (the admin ports are judged on tcp and udp)."""
CIS_GCP_ADMIN_PORTS = (
    "CIS GCP 2.0 3.6",
    "CIS GCP 2.0 3.7",
    "CIS GCP 3.0 3.6",
    "CIS GCP 3.0 3.7",
)
"""SSH and RDP from the internet on VPC firewall rules."""
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
    remediation={
        "aws": (
            "Replace the rule with rules for the specific ports and source ranges that are "
            "needed: `aws ec2 revoke-security-group-ingress --group-id sg-... --ip-permissions "
            "IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]`; for a network ACL, "
            "`aws ec2 delete-network-acl-entry --network-acl-id acl-... --ingress --rule-number N`."
        ),
        "azure": (
            "Delete the inbound rule that allows `*`/Internet/Any on every port, or narrow its "
            "source and destination ports: `az network nsg rule delete -g <rg> --nsg-name <nsg> "
            "-n <rule>` (or `az network nsg rule update ... --source-address-prefixes <ranges> "
            "--destination-port-ranges <ports>`); a lower-numbered Deny rule also shadows it."
        ),
        "gcp": (
            "Delete the ingress rule that allows 0.0.0.0/0 on every port, or narrow it: "
            "`gcloud compute firewall-rules delete <rule>` or `gcloud compute firewall-rules "
            "update <rule> --source-ranges <ranges> --rules tcp:<port>`; a higher-priority "
            "(lower number) deny rule for the same targets also shadows it."
        ),
    },
    references=(
        *CIS_ADMIN_PORTS,
        *CIS_AZURE_ADMIN_PORTS,
        *CIS_GCP_ADMIN_PORTS,
        "prowler:ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
        "prowler:ec2_networkacl_allow_ingress_any_port",
    ),
)
def world_ingress_all_ports(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    grouped = rules_by_set(inv)
    for fw_set in of_providers(inv, FirewallRuleSet, PROVIDERS):
        judge = _gcp.exposed_on_all_ports if fw_set.provider == "gcp" else exposed_on_all_ports
        exposed = judge(grouped.get(fw_set.id, ()))
        if exposed:
            what = ", ".join(sorted({traffic_text(r) for r in exposed}))
            yield Result.failed(
                fw_set,
                f"{_set_text(fw_set)} admits the internet to {what}",
                set_kind=fw_set.set_kind,
                rules=[describe_rule(r) for r in exposed],
            )
        else:
            yield Result.passed(
                fw_set,
                f"{_set_text(fw_set)} admits no world traffic on every port",
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
    remediation={
        "aws": (
            "Restrict the source of the admin-port rule to known ranges or remove it and use "
            "Session Manager: `aws ec2 revoke-security-group-ingress --group-id sg-... "
            "--protocol tcp --port 22 --cidr 0.0.0.0/0` (likewise udp/3389 and all-traffic "
            "rules); for network ACLs add a lower-numbered deny or delete the allow entry."
        ),
        "azure": (
            "Restrict the rule's source to known ranges or delete it and reach the VMs through "
            "Azure Bastion or just-in-time access: `az network nsg rule update -g <rg> "
            "--nsg-name <nsg> -n <rule> --source-address-prefixes <ranges>` or `az network "
            "nsg rule delete ...`; a lower-numbered Deny for tcp and udp 22/3389 from "
            "Internet also shadows it."
        ),
        "gcp": (
            "Restrict the rule's source ranges or delete it and reach instances through IAP "
            "TCP forwarding (source 35.235.240.0/20): `gcloud compute firewall-rules update "
            "<rule> --source-ranges 35.235.240.0/20` or `gcloud compute firewall-rules delete "
            "<rule>`; a higher-priority deny for tcp:22,3389 from 0.0.0.0/0 also shadows it."
        ),
    },
    references=(
        *CIS_ADMIN_PORTS,
        *CIS_AZURE_ADMIN_PORTS,
        *CIS_GCP_ADMIN_PORTS,
        "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
        "prowler:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
        "prowler:ec2_networkacl_allow_ingress_tcp_port_22",
        "prowler:ec2_networkacl_allow_ingress_tcp_port_3389",
        "prowler:network_ssh_internet_access_restricted",
        "prowler:network_rdp_internet_access_restricted",
        "prowler:network_udp_internet_access_restricted",
        "prowler:compute_firewall_ssh_access_from_the_internet_allowed",
        "prowler:compute_firewall_rdp_access_from_the_internet_allowed",
    ),
)
def world_ingress_admin_port(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    grouped = rules_by_set(inv)
    ports = sorted(cfg.admin_ports)
    for fw_set in of_providers(inv, FirewallRuleSet, PROVIDERS):
        rules = grouped.get(fw_set.id, ())
        on_port = _gcp.exposed_on_port if fw_set.provider == "gcp" else exposed_on_port
        by_port = {p: on_port(rules, p) for p in ports}
        open_ports = [p for p, hits in by_port.items() if hits]
        if not open_ports:
            yield Result.passed(
                fw_set,
                f"{_set_text(fw_set)} admits no world traffic to admin ports "
                f"{', '.join(map(str, ports))}",
                admin_ports=ports,
            )
            continue
        public = _public_targets(inv, fw_set, open_ports)
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
            f"{_set_text(fw_set)} admits the internet to {open_text}"
            + (f" and guards {len(public)} resource(s) with a public IP" if public else ""),
            severity=Severity.CRITICAL if public else None,
            set_kind=fw_set.set_kind,
            open_ports=open_ports,
            open_by_protocol={k: v for k, v in open_by_protocol.items() if v},
            rules=[describe_rule(r) for r in exposed.values()],
            public_targets=public,
        )


def _set_text(fw_set: FirewallRuleSet) -> str:
    if fw_set.provider == "gcp" and fw_set.set_kind == "fw_policy":
        net = short_id(fw_set.network_id or "")
        return f"firewall policy {fw_set.name or short_id(fw_set.id)} on network {net}"
    if fw_set.provider == "gcp":
        return f"the VPC firewall of network {fw_set.name or fw_set.network_id}"
    return f"{fw_set.set_kind} {label(fw_set)}"


def _public_targets(inv: Inventory, fw_set: FirewallRuleSet, ports: list[int]) -> list[str]:
    if fw_set.provider == "gcp":
        # A VPC firewall rule reaches only the instances it targets (tags, service accounts).
        return _gcp.public_targets(inv, fw_set, ports)
    if fw_set.provider == "azure":
        # The other NSG layer (subnet or NIC) must admit the port as well.
        return sorted(
            vm.id
            for vm in instances_behind(inv, fw_set)
            if vm.public_ips
            and is_running(vm)
            and layered_exposed_ports(inv, vm, ports, through=fw_set.id)
        )
    found = {vm.id for vm in instances_behind(inv, fw_set) if vm.public_ips and is_running(vm)}
    found |= {
        eni.id
        for eni in inv.of(NetworkInterface)
        if eni.public_ips and fw_set.id in eni.firewall_set_ids
    }
    return sorted(found)
