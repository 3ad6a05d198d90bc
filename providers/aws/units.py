"""The AWS collection units: mostly declared as data, a few with their own fetch (joins)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import structlog
from botocore import xform_name

from providers.aws.arns import Ctx
from providers.aws.errors import classify, error_code
from providers.aws.normalise import alerts, compute, detection, firewall, iam, network, trails
from providers.aws.normalise.common import Raw
from providers.aws.session import AwsSession
from scanner.inventory import GLOBAL, Entity, Gap, GapReason, Principal

log = structlog.get_logger(__name__)

Item = Entity | Gap


@dataclass
class Claims:
    """Keys claimed by the first unit to ask, shared by every unit of one collection: lets
    regional units that list the same thing (a multi-region trail) handle it once."""

    _taken: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def first(self, key: str) -> bool:
        """Whether this call is the first to claim ``key``."""
        with self._lock:
            if key in self._taken:
                return False
            self._taken.add(key)
            return True


@dataclass(frozen=True)
class Env:
    """What a fetch function gets: clients, where it runs, and how to record a sub-gap."""

    aws: AwsSession
    ctx: Ctx
    api_region: str
    """Region whose endpoint serves this unit (the home region for global services)."""
    page_size: int | None = None
    claims: Claims = field(default_factory=Claims)
    """Shared by all units of the collection (see ``scan.build_units``)."""

    def client(self, service: str) -> Any:
        return self.aws.client(service, self.api_region)

    def gap(self, operation: str, kinds: tuple[str, ...], exc: Exception) -> Gap:
        reason, detail = classify(exc)
        return Gap("aws", self.ctx.account, self.ctx.region, operation, kinds, reason, detail)

    def pages(self, service: str, operation: str, **params: Any) -> Iterator[Raw]:
        """Every page of a list call, through its paginator when it has one."""
        client = self.client(service)
        method = xform_name(operation)
        if not client.can_paginate(method):
            yield getattr(client, method)(**params)
            return
        config = {"PageSize": self.page_size} if self.page_size else {}
        yield from client.get_paginator(method).paginate(**params, PaginationConfig=config)

    def items(self, service: str, operation: str, path: str, **params: Any) -> Iterator[Raw]:
        for page in self.pages(service, operation, **params):
            yield from dig(page, path)


def dig(record: Raw, path: str) -> list[Raw]:
    """Items at a path like ``Reservations[].Instances[]`` (each step a list field)."""
    level: list[Any] = [record]
    for step in path.split("."):
        key = step.removesuffix("[]")
        level = [item for node in level for item in (node.get(key) or ())]
    return level


Normaliser = Callable[[Raw, Ctx], Entity | Iterable[Entity] | None]


@dataclass(frozen=True)
class UnitSpec:
    """One collection unit type. Declared list calls give ``operation``/``items``/``normalise``;
    joins give ``fetch`` instead."""

    service: str
    operation: str
    kinds: tuple[str, ...]
    items: str = ""
    normalise: Normaliser | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    fetch: Callable[[Env], Iterable[Item]] | None = None
    is_global: bool = False
    paged: bool = True
    """Whether the list call accepts a page size (``options.page_size`` applies)."""

    @property
    def label(self) -> str:
        return f"{self.service}:{self.operation}"

    def run(self, env: Env) -> Iterator[Item]:
        if self.fetch is not None:
            yield from self.fetch(env)
            return
        assert self.normalise is not None
        if not self.paged:
            env = replace(env, page_size=None)
        for raw in env.items(self.service, self.operation, self.items, **self.params):
            result = self.normalise(raw, env.ctx)
            if isinstance(result, Entity):
                yield result
            elif result is not None:
                yield from result


# --- joins -------------------------------------------------------------------------------


def fetch_snapshots(env: Env) -> Iterator[Item]:
    """Own snapshots and which of them are public, in two list calls: on AWS
    ``RestorableByUserIds=["all"]`` lists exactly the snapshots anyone may restore."""
    public: set[str] | None = None
    failed: Gap | None = None
    try:
        listed = env.items(
            "ec2",
            "DescribeSnapshots",
            "Snapshots[]",
            OwnerIds=["self"],
            RestorableByUserIds=["all"],
        )
        public = {str(raw["SnapshotId"]) for raw in listed}
    except Exception as exc:
        failed = env.gap("ec2:DescribeSnapshots", ("snapshot",), exc)
    for raw in env.items("ec2", "DescribeSnapshots", "Snapshots[]", OwnerIds=["self"]):
        # The part of createVolumePermission the public list reveals: the group "all".
        # Sharing with single accounts is not read, so shared_with stays empty.
        permissions: list[Raw] | None = None
        if public is not None:
            permissions = [{"Group": "all"}] if raw["SnapshotId"] in public else []
        yield compute.snapshot(raw, env.ctx, permissions)
    if failed is not None:
        # Last, so that a failing full list (the unit's own gap) does not report it twice.
        yield failed


def fetch_region_settings(env: Env) -> Iterator[Item]:
    client = env.client("ec2")
    kinds = ("region_settings",)
    values: dict[str, Any] = {}
    calls = (
        ("GetEbsEncryptionByDefault", "EbsEncryptionByDefault"),
        ("GetEbsDefaultKmsKeyId", "KmsKeyId"),
        ("GetSerialConsoleAccessStatus", "SerialConsoleAccessEnabled"),
    )
    for operation, key in calls:
        try:
            values[key] = getattr(client, xform_name(operation))().get(key)
        except Exception as exc:
            yield env.gap(f"ec2:{operation}", kinds, exc)
    yield detection.region_settings(
        env.ctx,
        values.get("EbsEncryptionByDefault"),
        values.get("KmsKeyId"),
        values.get("SerialConsoleAccessEnabled"),
    )


def fetch_trails(env: Env) -> Iterator[Item]:
    """Trails that log this region, each handled once per collection.

    With shadow trails included a region lists its own trails and every multi-region or
    organisation trail that covers it, wherever that trail's home is (a member account's
    view of an organisation trail, a home region that is not scanned). The first unit to
    list a trail reads its status and selectors, from the trail's home region (outside it,
    GetEventSelectors on the ARN may answer TrailNotFound), and yields it, and any gap
    in those two calls, with that region.
    """
    kinds = ("audit_trail",)
    listed = env.client("cloudtrail").describe_trails(includeShadowTrails=True)
    for raw in listed.get("trailList", []):
        arn = str(raw["TrailARN"])
        if not env.claims.first(f"cloudtrail:{arn}"):
            continue
        home = str(raw.get("HomeRegion") or env.ctx.region)
        at_home = replace(env, ctx=replace(env.ctx, region=home), api_region=home)
        client = at_home.client("cloudtrail")
        status = selectors = None
        try:
            status = client.get_trail_status(Name=arn)
        except Exception as exc:
            yield at_home.gap("cloudtrail:GetTrailStatus", kinds, exc)
        try:
            selectors = client.get_event_selectors(TrailName=arn)
        except Exception as exc:
            yield at_home.gap("cloudtrail:GetEventSelectors", kinds, exc)
        yield trails.trail(raw, at_home.ctx, status, selectors)


def fetch_alerts(env: Env) -> Iterator[Item]:
    kinds = ("alert_rule",)
    filters = list(env.items("logs", "DescribeMetricFilters", "metricFilters[]"))
    alarms: list[Raw] | None = None
    confirmed: set[str] | None = None
    if filters:
        try:
            alarms = list(env.items("cloudwatch", "DescribeAlarms", "MetricAlarms[]"))
        except Exception as exc:
            yield env.gap("cloudwatch:DescribeAlarms", kinds, exc)
        try:
            confirmed = alerts.confirmed_topics(
                list(env.items("sns", "ListSubscriptions", "Subscriptions[]"))
            )
        except Exception as exc:
            yield env.gap("sns:ListSubscriptions", kinds, exc)
    yield from alerts.alert_rules(filters, alarms, confirmed, env.ctx)


def fetch_detectors(env: Env) -> Iterator[Item]:
    client = env.client("guardduty")
    for detector_id in env.items("guardduty", "ListDetectors", "DetectorIds[]"):
        raw = client.get_detector(DetectorId=detector_id)
        yield detection.detector(str(detector_id), raw, env.ctx)


def fetch_config_recorders(env: Env) -> Iterator[Item]:
    client = env.client("config")
    recorders = client.describe_configuration_recorders().get("ConfigurationRecorders", [])
    statuses = None
    if recorders:
        try:
            statuses = client.describe_configuration_recorder_status().get(
                "ConfigurationRecordersStatus", []
            )
        except Exception as exc:
            yield env.gap("config:DescribeConfigurationRecorderStatus", (CONFIG_RECORDER,), exc)
    yield from detection.config_recorders(recorders, statuses, env.ctx)


THREAT_DETECTION = "security_service:threat_detection"
CONFIG_RECORDER = "security_service:config_recorder"
"""Gap kinds qualified by ``SecurityService.service_kind``: a denied GuardDuty does not hide
Config, nor the other way round."""

REPORT_POLLS = 12
"""GenerateCredentialReport polls, waiting 0.2 s, 0.4 s, ... (capped at 5 s) in between."""


def _credential_report(client: Any) -> bytes:
    for attempt in range(REPORT_POLLS):
        if client.generate_credential_report().get("State") == "COMPLETE":
            break
        time.sleep(min(5.0, 0.2 * 2**attempt))
    content: bytes = client.get_credential_report()["Content"]
    return content


def fetch_credential_report(env: Env) -> Iterator[Item]:
    client = env.client("iam")
    rows = iam.parse_report(_credential_report(client))
    virtual: bool | None = None
    try:
        devices = list(
            env.items(
                "iam", "ListVirtualMFADevices", "VirtualMFADevices[]", AssignmentStatus="Assigned"
            )
        )
        virtual = iam.root_has_virtual_mfa(devices, env.ctx)
    except Exception as exc:
        # No gap on purpose: only root's mfa_hardware is lost and it stays None (unknown).
        # No check decides on it (it is evidence only), so a gap, which would turn every
        # principal check ERROR, would cost more than it tells.
        log.info("virtual_mfa_unreadable", error_type=type(exc).__name__, code=error_code(exc))
    has_root = False
    for entity in iam.report_rows(rows, env.ctx):
        if isinstance(entity, Principal) and entity.principal_kind == "root":
            has_root = True
            yield replace(entity, mfa_hardware=iam.hardware_mfa(entity.mfa, virtual))
        else:
            yield entity
    if not has_root:
        summary = client.get_account_summary().get("SummaryMap", {})
        yield iam.root_from_summary(summary, env.ctx, virtual)
        # Without the root row nothing is known about root's access keys and password.
        yield Gap(
            "aws",
            env.ctx.account,
            GLOBAL,
            "iam:GetCredentialReport",
            ("credential",),
            GapReason.ERROR,
            f"no {iam.ROOT_USER} row",
        )


def fetch_authorization_details(env: Env) -> Iterator[Item]:
    pages = list(env.pages("iam", "GetAccountAuthorizationDetails"))
    yield from iam.authorization_details(pages, env.ctx)


def fetch_password_policy(env: Env) -> Iterator[Item]:
    try:
        raw = env.client("iam").get_account_password_policy()["PasswordPolicy"]
    except Exception as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        raw = None
    yield iam.password_policy(raw, env.ctx)


# --- the catalogue -----------------------------------------------------------------------

REGIONAL: tuple[UnitSpec, ...] = (
    UnitSpec(
        "ec2",
        "DescribeInstances",
        ("compute_instance",),
        "Reservations[].Instances[]",
        compute.instance,
    ),
    UnitSpec(
        "ec2",
        "DescribeNetworkInterfaces",
        ("network_interface",),
        "NetworkInterfaces[]",
        compute.network_interface,
    ),
    UnitSpec("ec2", "DescribeVolumes", ("disk",), "Volumes[]", compute.volume),
    UnitSpec(
        "ec2",
        "DescribeImages",
        ("machine_image",),
        "Images[]",
        compute.image,
        params={"Owners": ["self"]},
        paged=False,
    ),
    UnitSpec("ec2", "DescribeSnapshots", ("snapshot",), fetch=fetch_snapshots),
    UnitSpec(
        "ec2",
        "DescribeSecurityGroups",
        ("firewall_rule_set", "firewall_rule"),
        "SecurityGroups[]",
        firewall.security_group,
    ),
    UnitSpec(
        "ec2",
        "DescribeNetworkAcls",
        ("firewall_rule_set", "firewall_rule"),
        "NetworkAcls[]",
        firewall.network_acl,
    ),
    UnitSpec("ec2", "DescribeVpcs", ("network",), "Vpcs[]", network.vpc),
    UnitSpec("ec2", "DescribeSubnets", ("subnet",), "Subnets[]", network.subnet),
    UnitSpec(
        "ec2",
        "DescribeVpcPeeringConnections",
        ("network_peering",),
        "VpcPeeringConnections[]",
        network.peering,
    ),
    UnitSpec("ec2", "DescribeRouteTables", ("route_table",), "RouteTables[]", network.route_table),
    UnitSpec("ec2", "DescribeFlowLogs", ("flow_log_config",), "FlowLogs[]", network.flow_log),
    UnitSpec("ec2", "GetEbsEncryptionByDefault", ("region_settings",), fetch=fetch_region_settings),
    UnitSpec("cloudtrail", "DescribeTrails", ("audit_trail",), fetch=fetch_trails),
    UnitSpec("logs", "DescribeMetricFilters", ("alert_rule",), fetch=fetch_alerts),
    UnitSpec("guardduty", "ListDetectors", (THREAT_DETECTION,), fetch=fetch_detectors),
    UnitSpec(
        "config",
        "DescribeConfigurationRecorders",
        (CONFIG_RECORDER,),
        fetch=fetch_config_recorders,
    ),
)

ACCOUNT_WIDE: tuple[UnitSpec, ...] = (
    UnitSpec(
        "iam",
        "GetCredentialReport",
        ("principal", "credential"),
        fetch=fetch_credential_report,
        is_global=True,
    ),
    UnitSpec(
        "iam",
        "GetAccountAuthorizationDetails",
        ("principal", "role_binding"),
        fetch=fetch_authorization_details,
        is_global=True,
    ),
    UnitSpec(
        "iam",
        "GetAccountPasswordPolicy",
        ("password_policy",),
        fetch=fetch_password_policy,
        is_global=True,
    ),
)

REGIONAL_KINDS: tuple[str, ...] = tuple(dict.fromkeys(k for spec in REGIONAL for k in spec.kinds))
