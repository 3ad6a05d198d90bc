"""The provider-neutral inventory: typed, immutable entities, collection gaps and scan scopes.

Every entity records where it came from (provider, account, region, native id, name,
tags). Fields whose value the provider did not report are ``None``: a check must
treat ``None`` as "unknown", never as "off".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, TypeVar

GLOBAL = "global"
"""Region of account-wide things (IAM, the account itself) and of gaps that span every region."""


class Provider(StrEnum):
    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"


def regions_overlap(a: str, b: str) -> bool:
    """Whether two region scopes share ground: equal, or either is account-wide."""
    return a == b or GLOBAL in (a, b)


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """What a finding is about: an entity, an account or a region of an account."""

    id: str
    kind: str
    provider: str
    account: str
    region: str
    name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Entity:
    """Base of every inventory record."""

    kind: ClassVar[str] = "entity"

    id: str
    provider: str
    account: str
    region: str
    name: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.tags, MappingProxyType):
            object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    def ref(self) -> ResourceRef:
        return ResourceRef(self.id, self.kind, self.provider, self.account, self.region, self.name)


@dataclass(frozen=True, slots=True)
class PortRange:
    """An inclusive port range; ``PortRange(0, 65535)`` is every port."""

    low: int
    high: int

    def covers(self, port: int) -> bool:
        return self.low <= port <= self.high

    @property
    def is_all(self) -> bool:
        return self.low <= 0 and self.high >= 65535


ALL_PORTS = PortRange(0, 65535)


# --- compute -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginSettings:
    """How people log in to a machine. ``None`` everywhere means "not reported"."""

    password_auth: bool | None = None
    central_login: bool | None = None
    project_keys_blocked: bool | None = None
    serial_console: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeInstance(Entity):
    kind: ClassVar[str] = "compute_instance"

    state: str = ""
    image_ref: str | None = None
    network_id: str | None = None
    subnet_id: str | None = None
    firewall_set_ids: tuple[str, ...] = ()
    network_interface_ids: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    identity_ref: str | None = None
    metadata_v2_required: bool | None = None
    boot_mode: str | None = None
    secure_boot: bool | None = None
    vtpm: bool | None = None
    integrity_monitoring: bool | None = None
    login: LoginSettings = LoginSettings()
    ip_forwarding: bool | None = None
    launched_at: datetime | None = None
    os_type: str | None = None
    """``linux`` or ``windows`` where the provider says."""
    security_type: str | None = None
    """Azure: ``Standard``, ``TrustedLaunch`` or ``ConfidentialVM``."""
    network_tags: tuple[str, ...] = ()
    """GCP network tags, which firewall rules target (labels are in ``tags``)."""
    identity_scopes: tuple[str, ...] = ()
    """OAuth scopes granted to the instance's identity (GCP access scopes)."""
    identity_refs: tuple[str, ...] = ()
    """Every identity the instance can act as (Azure: the system-assigned principal, then
    each user-assigned one); ``identity_ref`` is the first. Empty where only
    ``identity_ref`` is reported."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkInterface(Entity):
    kind: ClassVar[str] = "network_interface"

    attached_to: str | None = None
    network_id: str | None = None
    subnet_id: str | None = None
    firewall_set_ids: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    ip_forwarding: bool | None = None
    interface_type: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Disk(Entity):
    kind: ClassVar[str] = "disk"

    attached_to: tuple[str, ...] = ()
    encrypted: bool | None = None
    key_type: str | None = None
    """``provider``, ``customer`` (customer-managed key) or ``supplied`` (customer-supplied)."""
    key_id: str | None = None
    public_access: bool | None = None
    size_gb: int | None = None
    managed: bool | None = None
    """Azure: a managed disk (``False``: an unmanaged VHD in a storage account)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineImage(Entity):
    kind: ClassVar[str] = "machine_image"

    owner_scope: str = ""
    public: bool | None = None
    shared_with: tuple[str, ...] = ()
    deprecated: bool | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot(Entity):
    kind: ClassVar[str] = "snapshot"

    source_disk: str | None = None
    encrypted: bool | None = None
    public: bool | None = None
    shared_with: tuple[str, ...] = ()
    created_at: datetime | None = None


# --- network -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Network(Entity):
    kind: ClassVar[str] = "network"

    is_default: bool = False
    legacy: bool = False
    cidrs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Subnet(Entity):
    kind: ClassVar[str] = "subnet"

    network_id: str = ""
    cidr: str = ""
    auto_public_ip: bool | None = None
    filter_policy_ids: tuple[str, ...] = ()
    purpose: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkPeering(Entity):
    kind: ClassVar[str] = "network_peering"

    local_network_id: str = ""
    peer_network_id: str = ""
    peer_account: str = ""
    peer_cidrs: tuple[str, ...] = ()
    status: str = ""
    transit: bool | None = None


@dataclass(frozen=True, slots=True)
class Route:
    destination: str
    target: str
    """Native id of the next hop (a peering connection, a gateway, an appliance)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteTable(Entity):
    kind: ClassVar[str] = "route_table"

    network_id: str = ""
    subnet_ids: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FirewallRuleSet(Entity):
    """A security group, network ACL, NSG or VPC firewall: the unit rules belong to."""

    kind: ClassVar[str] = "firewall_rule_set"

    set_kind: str = ""
    """``sg``, ``nacl``, ``nsg``, ``vpc_fw`` or ``fw_policy``."""
    network_id: str | None = None
    is_default: bool = False
    attached_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FirewallRule(Entity):
    kind: ClassVar[str] = "firewall_rule"

    set_id: str = ""
    set_kind: str = ""
    direction: str = "ingress"
    """``ingress`` or ``egress``."""
    action: str = "allow"
    """``allow`` or ``deny``."""
    priority: int | None = None
    """Lower is evaluated first; ``None`` where the provider has no order (AWS security groups)."""
    protocol: str = "all"
    """``all``, ``tcp``, ``udp``, ``icmp``, ``icmpv6`` or an IANA protocol number."""
    ports: tuple[PortRange, ...] = (ALL_PORTS,)
    sources: tuple[str, ...] = ()
    source_is_world: bool = False
    targets: tuple[str, ...] = ()
    enabled: bool = True

    def admits_world(self) -> bool:
        return (
            self.enabled
            and self.direction == "ingress"
            and self.action == "allow"
            and self.source_is_world
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowLogConfig(Entity):
    kind: ClassVar[str] = "flow_log_config"

    target_type: str = ""
    """``network``, ``subnet``, ``interface`` or ``firewall_rule_set`` (Azure NSG flow logs)."""
    target_id: str = ""
    enabled: bool | None = None
    traffic_type: str = ""
    destination: str = ""
    retention_days: int | None = None


# --- logging, alerting and detection -----------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditTrail(Entity):
    kind: ClassVar[str] = "audit_trail"

    all_regions: bool | None = None
    org_wide: bool | None = None
    logging: bool | None = None
    mgmt_read: bool | None = None
    mgmt_write: bool | None = None
    data_events: bool | None = None
    store_id: str = ""
    validated: bool | None = None
    encrypted_cmk: bool | None = None
    key_id: str | None = None
    log_group_id: str | None = None
    """Where the trail also streams events for alerting (AWS: a CloudWatch Logs group ARN)."""
    categories: tuple[str, ...] = ()
    """Log categories the trail exports (Azure: Administrative, Security, Policy, Alert...)."""
    filter_expr: str | None = None
    """What the export selects (GCP: the sink's filter; empty means every entry)."""
    store_public: bool | None = None
    """Whether anyone can read the log store anonymously (Azure: the storage account a
    diagnostic setting exports to allows blob public access); ``None`` if not reported."""
    immutable: bool | None = None
    """Whether what the trail delivers cannot be deleted or shortened before its retention
    ends (GCP: the sink's Cloud Storage bucket has a locked retention policy); ``None`` if
    not reported, or where the store is not read (GCP sinks to other destinations)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRule(Entity):
    """An alert on an event class, from a log filter through to whoever is notified."""

    kind: ClassVar[str] = "alert_rule"

    event_classes: tuple[str, ...] = ()
    match_expr: str = ""
    source_id: str = ""
    """What the rule watches (AWS: the CloudWatch Logs group ARN of the metric filter)."""
    enabled: bool | None = None
    targets: tuple[str, ...] = ()
    target_verified: bool | None = None
    """Whether at least one target has a confirmed recipient."""
    scopes: tuple[str, ...] = ()
    """What the rule is limited to (Azure: the alert's ``scopes``, lowercased ARM ids);
    empty where the provider has no such limit or did not report it."""
    narrowed_by: tuple[str, ...] = ()
    """``field=value`` conditions that make the rule fire on fewer events than its event
    classes / operations name (Azure: anything beyond category and operationName)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityService(Entity):
    kind: ClassVar[str] = "security_service"

    service_kind: str = ""
    """threat_detection, config_recorder, malware, vuln_scan, asset_inventory or
    network_watcher."""
    enabled: bool | None = None
    all_resources: bool | None = None
    features: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Entity.__post_init__(self)
        if not isinstance(self.features, MappingProxyType):
            object.__setattr__(self, "features", MappingProxyType(dict(self.features)))


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionSettings(Entity):
    """Account settings that apply to one region (or, with region ``global``, to all)."""

    kind: ClassVar[str] = "region_settings"

    disk_encryption_by_default: bool | None = None
    default_disk_key_id: str | None = None
    serial_console_access: bool | None = None
    metadata_v2_default: bool | None = None


# --- identity ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal(Entity):
    kind: ClassVar[str] = "principal"

    principal_kind: str = ""
    """``root``, ``human``, ``service``, ``group``, ``role`` or ``guest``."""
    aliases: tuple[str, ...] = ()
    """Other native ids that name this principal (AWS: the instance profiles of a role)."""
    member_of: tuple[str, ...] = ()
    console_access: bool | None = None
    mfa: bool | None = None
    mfa_hardware: bool | None = None
    created_at: datetime | None = None
    last_sign_in: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Credential(Entity):
    kind: ClassVar[str] = "credential"

    principal_id: str = ""
    credential_kind: str = ""
    """``access_key``, ``password``, ``sa_key`` or ``client_secret``."""
    active: bool | None = None
    user_managed: bool = True
    created_at: datetime | None = None
    last_used: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleBinding(Entity):
    """A grant of a role or policy to a principal at a scope."""

    kind: ClassVar[str] = "role_binding"

    principal_id: str = ""
    principal_type: str = ""
    """``user``, ``group``, ``role``, ``service_account`` or ``root``."""
    role: str = ""
    role_name: str = ""
    scope: str = ""
    scope_level: str = ""
    admin_equivalent: bool | None = None
    inline: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleDefinition(Entity):
    """A role that can be granted (Azure role definition, GCP custom role)."""

    kind: ClassVar[str] = "role_definition"

    custom: bool | None = None
    permissions: tuple[str, ...] = ()
    not_permissions: tuple[str, ...] = ()
    assignable_scopes: tuple[str, ...] = ()
    admin_equivalent: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordPolicy(Entity):
    kind: ClassVar[str] = "password_policy"

    present: bool = False
    minimum_length: int | None = None
    require_symbols: bool | None = None
    require_numbers: bool | None = None
    require_uppercase: bool | None = None
    require_lowercase: bool | None = None
    max_age_days: int | None = None
    reuse_prevention: int | None = None


ENTITY_TYPES: dict[str, type[Entity]] = {
    cls.kind: cls
    for cls in (
        ComputeInstance,
        NetworkInterface,
        Disk,
        MachineImage,
        Snapshot,
        Network,
        Subnet,
        NetworkPeering,
        RouteTable,
        FirewallRuleSet,
        FirewallRule,
        FlowLogConfig,
        AuditTrail,
        AlertRule,
        SecurityService,
        RegionSettings,
        Principal,
        Credential,
        RoleBinding,
        RoleDefinition,
        PasswordPolicy,
    )
}


# --- gaps and scopes ---------------------------------------------------------------------


class GapReason(StrEnum):
    ACCESS_DENIED = "access_denied"
    THROTTLED = "throttled"
    TIMED_OUT = "timed_out"
    NOT_ENABLED = "not_enabled"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Gap:
    """Something that could not be collected, and the entity kinds it leaves unknown."""

    provider: str
    account: str
    region: str
    operation: str
    kinds: tuple[str, ...]
    reason: GapReason
    detail: str = ""

    def affects(self, kinds: Iterable[str]) -> bool:
        """Whether this gap hides any of ``kinds``.

        A kind may be qualified ``"<entity kind>:<qualifier>"`` (e.g.
        ``"security_service:threat_detection"``): one service of a shared entity kind.
        A qualified gap kind ``K:q`` affects wanted ``K:q`` and plain ``K``; a plain gap
        kind ``K`` affects wanted ``K`` and every ``K:q``. No gap kinds affects everything.
        """
        if not self.kinds:
            return True
        mine = set(self.kinds) | {k.partition(":")[0] for k in self.kinds}
        return any(k in mine or k.partition(":")[0] in self.kinds for k in kinds)


@dataclass(frozen=True, slots=True)
class ScanScope:
    """One account / subscription / project that was scanned, and the regions covered."""

    provider: str
    account: str
    native_id: str
    """The account's own native id (AWS: ``arn:<partition>:iam::<account>:root``)."""
    name: str = ""
    regions: tuple[str, ...] = ()

    def account_ref(self) -> ResourceRef:
        return ResourceRef(
            self.native_id, "account", self.provider, self.account, GLOBAL, self.name
        )

    def region_ref(self, region: str) -> ResourceRef:
        rid = f"{self.provider}:{self.account}:{region}"
        return ResourceRef(rid, "region", self.provider, self.account, region, region)


E = TypeVar("E", bound=Entity)


@dataclass(frozen=True)
class Inventory:
    """Everything one collection saw, what it could not see, and where it looked."""

    entities: tuple[Entity, ...] = ()
    gaps: tuple[Gap, ...] = ()
    scopes: tuple[ScanScope, ...] = ()
    collected_at: datetime | None = None
    tool_version: str = ""
    _by_kind: dict[str, tuple[Entity, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _by_id: dict[str, Entity] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        grouped: dict[str, list[Entity]] = {}
        for entity in self.entities:
            grouped.setdefault(entity.kind, []).append(entity)
            self._by_id[entity.id] = entity
            if isinstance(entity, Principal):
                for alias in entity.aliases:
                    self._by_id.setdefault(alias, entity)
        self._by_kind.update({k: tuple(v) for k, v in grouped.items()})

    def of(self, cls: type[E]) -> tuple[E, ...]:
        return self._by_kind.get(cls.kind, ())  # type: ignore[return-value]

    def get(self, entity_id: str | None, cls: type[E]) -> E | None:
        """The entity of type ``cls`` with this native id (or alias), if collected."""
        found = self._by_id.get(entity_id or "")
        return found if isinstance(found, cls) else None

    def gaps_for(self, provider: str, account: str, region: str) -> Iterator[Gap]:
        for gap in self.gaps:
            if (
                gap.provider == provider
                and gap.account == account
                and regions_overlap(gap.region, region)
            ):
                yield gap

    def scope(self, provider: str, account: str) -> ScanScope | None:
        return next(
            (s for s in self.scopes if s.provider == provider and s.account == account), None
        )

    @classmethod
    def merge(cls, *parts: Inventory) -> Inventory:
        """Join inventories collected separately (shards of one scan) into one."""
        stamps = [p.collected_at for p in parts if p.collected_at]
        return cls(
            entities=tuple(e for p in parts for e in p.entities),
            gaps=tuple(g for p in parts for g in p.gaps),
            scopes=tuple(s for p in parts for s in p.scopes),
            collected_at=min(stamps) if stamps else None,
            tool_version=next((p.tool_version for p in parts if p.tool_version), ""),
        )
