"""How the neutral checks judge GCP records (docs/gcp-checks.md; the GCP mapping).

The neutral check modules hand ``gcp`` entities to these functions, so their AWS and
Azure logic stays untouched. Every function here treats ``None`` as "not reported".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from checks._common import (
    bindings_of,
    in_scope,
    is_running,
    iso,
    label,
    not_reported,
    short_id,
    unseen,
)
from checks._exposure import (
    PORT_PROTOCOLS,
    AllPorts,
    Port,
    Traffic,
    destination_families,
    exposing_rules,
)
from scanner.inventory import (
    GLOBAL,
    AuditTrail,
    ComputeInstance,
    Credential,
    Disk,
    FirewallRule,
    FirewallRuleSet,
    FlowLogConfig,
    Inventory,
    Network,
    NetworkPeering,
    Principal,
    RoleBinding,
    ScanScope,
    Subnet,
)
from scanner.registry import CheckConfig
from scanner.results import Result, Severity

GCP = "gcp"
DEFAULT_COMPUTE_SA = "-compute@developer.gserviceaccount.com"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
PRIVATE_SERVICES_PEERING = "servicenetworking-googleapis-com"
"""The peering private services access creates to Google's service producer network (a
network named ``servicenetworking`` in a Google-owned tenant project)."""
_SHIELDED = {
    "secure_boot": "secure boot",
    "vtpm": "vTPM",
    "integrity_monitoring": "integrity monitoring",
}
PRIMITIVE_ADMIN_ROLES = frozenset({"roles/owner", "roles/editor"})


# --- VPC firewall targeting --------------------------------------------------------------


def instance_targets(vm: ComputeInstance) -> frozenset[str]:
    """What firewall rules can target on this instance: its network tags and service account."""
    found = {f"tag:{t}" for t in vm.network_tags}
    if vm.identity_ref:
        found.add(f"serviceAccount:{vm.identity_ref}")
    return frozenset(found)


DEST_PREFIX = "dest:"
"""Ingress ``destinationRanges`` sit among a rule's targets as ``dest:<cidr>``."""


def _selectors(rule: FirewallRule) -> list[str]:
    """The rule's instance selectors (``tag:``, ``serviceAccount:``), not its destinations."""
    return [t for t in rule.targets if not t.startswith(DEST_PREFIX)]


def _dests(rule: FirewallRule) -> list[str]:
    return [t.removeprefix(DEST_PREFIX) for t in rule.targets if t.startswith(DEST_PREFIX)]


SECURE_TAG_PREFIX = "secureTag:"
"""Firewall-policy targets by secure tag; instances' secure tags are not collected."""


def _applies(rule: FirewallRule, targets: frozenset[str]) -> bool:
    """A rule without selectors applies to every instance of its network (destination
    ranges do not select instances here: an allow with them is counted for every one).

    Secure tags are not read on instances, so an allow targeting one may apply to any
    instance of the network (over-report), and a deny never applies through one (a deny
    that targets only secure tags shadows nothing)."""
    selectors = _selectors(rule)
    if not selectors:
        return True
    if rule.action == "allow" and any(s.startswith(SECURE_TAG_PREFIX) for s in selectors):
        return True
    return bool(targets & {s for s in selectors if not s.startswith(SECURE_TAG_PREFIX)})


def _dest_covered(deny: FirewallRule, allow: FirewallRule) -> set[str]:
    """For rules that both apply to one instance: a deny without destination ranges covers
    the allow; one with ranges only when they equal the allow's (or are the whole space)."""
    return destination_families(_dests(deny), _dests(allow))


def _exposing_for(
    rules: Iterable[FirewallRule], targets: frozenset[str], traffic: Traffic
) -> list[FirewallRule]:
    """World allows reaching an instance that carries ``targets``; a deny beats an allow of
    the same priority."""
    mine = [r for r in rules if _applies(r, targets)]
    mine.sort(key=lambda r: (r.priority is None, r.priority or 0, r.action != "deny"))
    return exposing_rules(mine, traffic, _dest_covered)


def _could_expose(rules: Sequence[FirewallRule], traffic: Traffic) -> list[FirewallRule]:
    """World allows that reach at least one possible instance of the network.

    An instance carrying a single target of an allow (or none, for an allow without
    targets) is the one fewest denies apply to, so checking those instances is enough.
    """
    candidates: set[frozenset[str]] = {frozenset()}
    for r in rules:
        if r.action == "allow":
            candidates.update(frozenset({t}) for t in _selectors(r))
    found: dict[str, FirewallRule] = {}
    for targets in sorted(candidates, key=sorted):
        for r in _exposing_for(rules, targets, traffic):
            found.setdefault(r.id, r)
    return list(found.values())


def exposed_on_all_ports(rules: Sequence[FirewallRule]) -> list[FirewallRule]:
    found = {r.id: r for proto in PORT_PROTOCOLS for r in _could_expose(rules, AllPorts(proto))}
    return list(found.values())


def exposed_on_port(rules: Sequence[FirewallRule], port: int) -> dict[str, list[FirewallRule]]:
    by_protocol = {proto: _could_expose(rules, Port(port, proto)) for proto in PORT_PROTOCOLS}
    return {proto: hits for proto, hits in by_protocol.items() if hits}


def instance_admin_ports(
    inv: Inventory,
    vm: ComputeInstance,
    admin_ports: Iterable[int],
    only_set: str | None = None,
) -> list[int]:
    """Admin ports the firewall of one of the instance's networks (or of ``only_set``) opens
    to it from the world; each interface's traffic meets only its own network's rules."""
    sets = [i for i in vm.firewall_set_ids if only_set in (None, i)]
    by_set: dict[str, list[FirewallRule]] = {i: [] for i in sets}
    for rule in inv.of(FirewallRule):
        if rule.set_id in by_set:
            by_set[rule.set_id].append(rule)
    targets = instance_targets(vm)
    return sorted(
        port
        for port in set(admin_ports)
        if any(
            _exposing_for(rules, targets, Port(port, proto))
            for rules in by_set.values()
            for proto in PORT_PROTOCOLS
        )
    )


def public_targets(
    inv: Inventory, fw_set: FirewallRuleSet, admin_ports: Iterable[int]
) -> list[str]:
    """Running instances with a public IP that this network's firewall opens to the world
    on an admin port."""
    ports = tuple(admin_ports)
    return sorted(
        vm.id
        for vm in inv.of(ComputeInstance)
        if fw_set.id in vm.firewall_set_ids
        and vm.public_ips
        and is_running(vm)
        and instance_admin_ports(inv, vm, ports, only_set=fw_set.id)
    )


# --- networks ----------------------------------------------------------------------------


def judge_network(net: Network) -> Result:
    """CIS GCP 3.1 (no default network) and 3.2 (no legacy network)."""
    lacks = []
    if net.is_default:
        lacks.append("is the auto-created default network (with its permissive default rules)")
    if net.legacy:
        lacks.append("is a legacy network (no subnets, no flow logs)")
    if lacks:
        return Result.failed(
            net,
            f"network {label(net)} " + " and ".join(lacks),
            is_default=net.is_default,
            legacy=net.legacy,
        )
    return Result.passed(
        net, f"network {label(net)} is a purpose-made VPC network", is_default=False, legacy=False
    )


def judge_peering(inv: Inventory, peering: NetworkPeering) -> Result | None:
    """Peering to a project outside the scanned ones links to another tenant."""
    if peering.status and peering.status.lower() != "active":
        return None
    evidence: dict[str, Any] = {
        "peer_account": peering.peer_account,
        "peer_network": peering.peer_network_id,
        "custom_routes_exchanged": peering.transit,
    }
    if (
        short_id(peering.id) == PRIVATE_SERVICES_PEERING
        and short_id(peering.peer_network_id) == "servicenetworking"
    ):
        return Result.passed(
            peering,
            f"peering {label(peering)} is private services access to Google's producer network",
            **evidence,
        )
    if not peering.peer_account:
        return not_reported(peering, "peer project")
    scanned = {s.account for s in inv.scopes if s.provider == GCP}
    if peering.peer_account in scanned:
        return Result.passed(
            peering,
            f"peering {label(peering)} links to project {peering.peer_account}, which was scanned",
            **evidence,
        )
    return Result.failed(
        peering,
        f"peering {label(peering)} links network {short_id(peering.local_network_id)} to "
        f"project {peering.peer_account}, outside the scanned projects"
        + (" and exchanges custom routes" if peering.transit else ""),
        **evidence,
    )


def subnet_flow_logs(inv: Inventory) -> Iterator[Result]:
    """CIS GCP 3.8: every PRIVATE-purpose subnet has flow logs on (GCP logs ALL traffic)."""
    logs: dict[str, list[FlowLogConfig]] = {}
    for flow in inv.of(FlowLogConfig):
        logs.setdefault(flow.target_id, []).append(flow)
    for subnet in inv.of(Subnet):
        if subnet.provider != GCP or subnet.purpose.upper() not in ("", "PRIVATE"):
            continue
        states = [f.enabled for f in logs.get(subnet.id, [])]
        what = f"subnet {label(subnet)} in {subnet.region}"
        if True in states:
            yield Result.passed(subnet, f"{what} has flow logs enabled")
        elif None in states:
            yield not_reported(subnet, "flow log state")
        elif states:
            yield Result.failed(subnet, f"{what} has flow logs disabled", enabled=False)
        elif not unseen(inv, GCP, subnet.account, subnet.region, (FlowLogConfig.kind,)):
            yield Result.failed(subnet, f"{what} has no flow log configuration", enabled=None)


# --- instances ---------------------------------------------------------------------------


def judge_shielded(vm: ComputeInstance) -> Result:
    """CIS GCP 4.8: Shielded VM with secure boot, vTPM and integrity monitoring. The boot
    mode is judged only when reported (``bios`` fails): the Shielded VM flags decide."""
    flags: dict[str, Any] = {
        "secure_boot": vm.secure_boot,
        "vtpm": vm.vtpm,
        "integrity_monitoring": vm.integrity_monitoring,
    }
    off = [_SHIELDED[name] for name, value in flags.items() if value is False]
    bios = (vm.boot_mode or "").lower() == "bios"
    if off or bios:
        lacks = [f"Shielded VM {', '.join(off)} off"] if off else []
        if bios:
            lacks.append("a boot disk that boots with BIOS (Shielded VM needs UEFI)")
        return Result.failed(
            vm,
            f"instance {label(vm)} runs with " + " and ".join(lacks),
            boot_mode=vm.boot_mode,
            **flags,
        )
    unknown = [_SHIELDED[name] for name, value in flags.items() if value is None]
    if unknown:
        return not_reported(vm, f"Shielded VM setting(s) {', '.join(unknown)}")
    return Result.passed(
        vm,
        f"instance {label(vm)} is a Shielded VM with secure boot, vTPM and integrity monitoring",
        **flags,
    )


def judge_login(vm: ComputeInstance) -> Result:
    """CIS GCP 4.4 (OS Login), 4.3 (block project-wide SSH keys), 4.5 (serial port off)."""
    login = vm.login
    evidence: dict[str, Any] = {
        "os_login": login.central_login,
        "project_ssh_keys_blocked": login.project_keys_blocked,
        "serial_port_enabled": login.serial_console,
    }
    lacks = []
    if login.central_login is False:
        lacks.append("OS Login is off")
    if login.project_keys_blocked is False:
        lacks.append("project-wide SSH keys are accepted")
    if login.serial_console is True:
        lacks.append("the interactive serial console is enabled")
    if lacks:
        return Result.failed(vm, f"instance {label(vm)}: {'; '.join(lacks)}", **evidence)
    unknown = [name for name, value in evidence.items() if value is None]
    if unknown:
        return not_reported(vm, ", ".join(unknown).replace("_", " "))
    return Result.passed(
        vm,
        f"instance {label(vm)} uses OS Login, blocks project-wide SSH keys and has the serial "
        "console off",
        **evidence,
    )


def default_sa_full_scope(vm: ComputeInstance) -> Result | None:
    """CIS GCP 4.2: the default compute service account with access to every Cloud API."""
    if not vm.identity_ref or not vm.identity_ref.endswith(DEFAULT_COMPUTE_SA):
        return None
    if CLOUD_PLATFORM_SCOPE not in vm.identity_scopes:
        return None
    return Result.failed(
        vm,
        f"instance {label(vm)} runs as the default compute service account "
        f"{vm.identity_ref} with the cloud-platform scope (every Cloud API)",
        severity=Severity.CRITICAL if vm.public_ips else None,
        identity_ref=vm.identity_ref,
        identity_scopes=list(vm.identity_scopes),
        public_ips=list(vm.public_ips),
    )


def appliance_key(tag: str) -> str:
    """GCP label keys and network tags cannot hold ``:``: ``cldscan:appliance`` becomes
    ``cldscan-appliance``."""
    return tag.replace(":", "-")


def is_appliance(vm: ComputeInstance, tag: str) -> bool:
    """A label ``cldscan-appliance=true``, or a network tag of that name, marks an appliance."""
    key = appliance_key(tag)
    return vm.tags.get(key, "").lower() == "true" or key in vm.network_tags


# --- disks -------------------------------------------------------------------------------


def judge_disk(disk: Disk) -> Result:
    """Every GCP disk is encrypted; CIS GCP 4.7 asks for a customer key (CMEK or CSEK)."""
    evidence: dict[str, Any] = {"key_type": disk.key_type, "key_id": disk.key_id}
    if disk.encrypted is False:
        return Result.failed(disk, f"disk {label(disk)} is not encrypted", **evidence)
    if disk.key_type not in ("provider", "customer", "supplied") or disk.encrypted is None:
        return not_reported(disk, "encryption key type")
    if disk.key_type in ("customer", "supplied"):
        what = (
            "a customer-managed key" if disk.key_type == "customer" else "a customer-supplied key"
        )
        return Result.passed(disk, f"disk {label(disk)} is encrypted with {what}", **evidence)
    return Result.failed(
        disk,
        f"disk {label(disk)} is encrypted only with a Google-managed key (no CMEK or CSEK)",
        severity=Severity.MEDIUM,
        attached_to=list(disk.attached_to),
        **evidence,
    )


# --- identity ----------------------------------------------------------------------------

_MEMBER_TYPES = {
    "user": "user",
    "group": "group",
    "service_account": "service account",
    "domain": "domain",
    "public": "public member",
}


_MEMBER_PREFIXES = frozenset(
    {"user", "group", "serviceAccount", "domain", "allUsers", "allAuthenticatedUsers"}
)


def judge_binding(binding: RoleBinding) -> Result | None:
    """Owner, editor or a ``*Admin`` role held permanently by any member."""
    what = _MEMBER_TYPES.get(binding.principal_type)
    if what is None:
        return None
    member = binding.principal_id
    who = member if member.split(":", 1)[0] in _MEMBER_PREFIXES else f"{what} {member}"
    evidence: dict[str, Any] = {
        "principal_id": binding.principal_id,
        "role": binding.role,
        "scope": binding.scope,
        "primitive": binding.role in PRIMITIVE_ADMIN_ROLES,
    }
    if binding.admin_equivalent is None:
        return not_reported(binding, "whether the role grants administrator rights")
    if binding.admin_equivalent:
        kind = "primitive role" if binding.role in PRIMITIVE_ADMIN_ROLES else "administrator role"
        return Result.failed(
            binding,
            f"{who} holds {kind} {binding.role} on {binding.scope or binding.account}",
            severity=Severity.CRITICAL if binding.principal_type == "public" else None,
            **evidence,
        )
    return Result.passed(
        binding,
        f"{who}: role {binding.role} on {binding.scope or binding.account} is not administrative",
        **evidence,
    )


def _is_service_account(principal: Principal) -> bool:
    return principal.provider == GCP and "/serviceAccounts/" in principal.id


def sa_keys(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    """CIS GCP 1.4 (only Google-managed keys) and 1.7 (rotate within 90 days)."""
    keys: dict[str, list[Credential]] = {}
    for cred in inv.of(Credential):
        if cred.provider == GCP and cred.credential_kind == "sa_key" and cred.user_managed:
            keys.setdefault(cred.principal_id, []).append(cred)
    owners = {p.id: p for p in inv.of(Principal) if _is_service_account(p)}
    for owner in owners.values():
        if not any(k.active is not False for k in keys.get(owner.id, [])):
            yield Result.passed(
                owner,
                f"service account {owner.name or short_id(owner.id)} has no active "
                "user-managed keys",
                disabled_keys=[k.id for k in keys.get(owner.id, [])],
            )
    for principal_id, creds in keys.items():
        for cred in creds:
            if cred.active is False:
                continue
            if cred.active is None:
                yield not_reported(cred, "whether the key is enabled")
                continue
            yield _judge_key(inv, cfg, cred, owners.get(principal_id))


def _judge_key(
    inv: Inventory, cfg: CheckConfig, cred: Credential, owner: Principal | None
) -> Result:
    age = None if cred.created_at is None else _days(cfg.now, cred.created_at)
    old = age is not None and age > cfg.credential_max_age_days
    admin = owner is not None and any(b.admin_equivalent for b in bindings_of(inv, owner))
    sa = short_id(cred.principal_id)
    text = f"service account {sa} has user-managed key {short_id(cred.id)}"
    if age is None:
        text += " (creation time not reported)"
    else:
        text += f", {age} days old"
        if old:
            text += f" (rotation limit {cfg.credential_max_age_days})"
    return Result.failed(
        cred,
        text,
        severity=Severity.HIGH if admin else None,
        age_days=age,
        older_than_limit=old,
        created_at=iso(cred.created_at),
        expires_at=iso(cred.expires_at),
        owner_is_admin=admin,
    )


def _days(now: datetime, then: datetime) -> int:
    return (now - then).days


# --- audit logging -----------------------------------------------------------------------


def judge_project_logging(inv: Inventory, scope: ScanScope) -> Result | None:
    """CIS GCP 2.1 (Data Access logs for allServices, both types, no exemptions) and 2.2 (a
    sink exporting every entry). Admin Activity logs are always on."""
    mine = [t for t in inv.of(AuditTrail) if in_scope(t, scope)]
    configs = [t for t in mine if t.id.endswith("/auditConfigs")]
    sinks = [t for t in mine if "/sinks/" in t.id]
    evidence: dict[str, Any] = {
        "data_access_logs": [t.data_events for t in configs],
        "log_types": sorted({c for t in configs for c in t.categories}),
        "sinks": {t.id: {"filter": t.filter_expr, "enabled": t.logging} for t in sinks},
    }
    ref = scope.account_ref()
    seen: list[str] = []
    unknown: list[str] = []
    absent: list[str] = []
    data = [t.data_events for t in configs]
    if True in data:
        pass
    elif None in data:
        unknown.append("whether Data Access logs are on")
    elif configs:
        seen.append("Data Access logs (DATA_READ and DATA_WRITE for allServices) are not all on")
    else:
        absent.append("its audit configuration was not found")
    sink_states = [_exports_everything(t) for t in sinks]
    if True in sink_states:
        evidence["full_sinks"] = [t.id for t in sinks if _exports_everything(t)]
    elif None in sink_states:
        unknown.append("whether a sink exports every entry")
    else:
        absent.append("no enabled sink exports every log entry (empty filter)")
    if seen:
        return Result.failed(
            ref, f"project {scope.account}: {'; '.join(seen + absent)}", **evidence
        )
    if unknown:
        return Result.error(
            ref, f"project {scope.account}: {' and '.join(unknown)} was not reported", **evidence
        )
    if absent:
        if unseen(inv, GCP, scope.account, GLOBAL, (AuditTrail.kind,)):
            return None
        return Result.failed(ref, f"project {scope.account}: {'; '.join(absent)}", **evidence)
    return Result.passed(
        ref,
        f"project {scope.account} logs Data Access for all services and exports every entry",
        **evidence,
    )


def _exports_everything(sink: AuditTrail) -> bool | None:
    if sink.logging is False:
        return False
    if sink.filter_expr is None or sink.logging is None:
        return None
    return not sink.filter_expr.strip()
