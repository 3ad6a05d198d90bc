"""Collection units of one project: one per API list, each yielding entities and gaps."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from google.api_core import exceptions as gexc
from google.protobuf import json_format  # type: ignore[import-untyped]

from providers.gcp.errors import classify
from providers.gcp.normalise import (
    compute,
    firewall,
    fw_policy,
    iam,
    logging,
    network,
    services,
)
from providers.gcp.normalise.common import PROVIDER, Ctx, Json, metadata_items, region_of_zone
from providers.gcp.session import GcpSession
from scanner.inventory import GLOBAL, Entity, Gap, GapReason

Item = Entity | Gap


@dataclass
class Joins:
    """What units learn for the join step: boot disks of instances, source images of disks."""

    boot_disk: dict[str, str] = field(default_factory=dict)
    source_image: dict[str, str] = field(default_factory=dict)
    boot_mode: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Env:
    session: GcpSession
    ctx: Ctx
    joins: Joins

    @property
    def project(self) -> str:
        return self.ctx.project

    def call_kwargs(self) -> dict[str, Any]:
        return {"retry": self.session.retry, "timeout": self.session.options.timeout}

    def gap(
        self, operation: str, kinds: tuple[str, ...], exc: BaseException, region: str = GLOBAL
    ) -> Gap:
        reason, detail = classify(exc)
        return Gap(PROVIDER, self.project, region, operation, kinds, reason, detail)


def as_json(message: Any) -> Json:
    """A proto-plus or raw protobuf message as the REST API's JSON (present fields only)."""
    pb = type(message).pb(message) if hasattr(type(message), "pb") else message
    body: Json = json_format.MessageToDict(pb)
    return body


def _page_request(env: Env, **fields: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"project": env.project, **fields}
    if env.session.options.page_size:
        request["max_results"] = env.session.options.page_size
    return request


def aggregated(
    env: Env, client: str, key: str, operation: str, kinds: tuple[str, ...]
) -> Iterator[tuple[str, Json] | Gap]:
    """Items of an aggregatedList as (scope, item); UNREACHABLE scopes become gaps."""
    pager = env.session.compute(client).aggregated_list(
        request=_page_request(env), **env.call_kwargs()
    )
    for scope, scoped in pager:
        body = as_json(scoped)
        warning = body.get("warning") or {}
        if warning.get("code") == "UNREACHABLE":
            name = scope.split("/", 1)[-1]
            region = region_of_zone(name) if scope.startswith("zones/") else name
            yield Gap(
                PROVIDER,
                env.project,
                region,
                operation,
                kinds,
                GapReason.ERROR,
                f"{scope} unreachable: {warning.get('message', '')}",
            )
        for item in body.get(key) or []:
            yield scope, item


def listed(env: Env, client: str) -> Iterator[Json]:
    pager = env.session.compute(client).list(request=_page_request(env), **env.call_kwargs())
    for item in pager:
        yield as_json(item)


# --- compute ---------------------------------------------------------------------------

FW_POLICY_OP = "compute.networks.getEffectiveFirewalls"
FW_POLICY_KINDS = ("firewall_rule_set", "firewall_rule")


def project_metadata(env: Env) -> tuple[dict[str, str] | None, list[Gap]]:
    try:
        project = env.session.compute("ProjectsClient").get(
            project=env.project, **env.call_kwargs()
        )
    except Exception as exc:
        return None, [env.gap("compute.projects.get", ("compute_instance",), exc)]
    return metadata_items(as_json(project).get("commonInstanceMetadata")), []


def instances(env: Env) -> Iterator[Item]:
    meta, gaps = project_metadata(env)
    yield from gaps
    kinds = ("compute_instance",)
    for entry in aggregated(env, "InstancesClient", "instances", "compute.instances.list", kinds):
        if isinstance(entry, Gap):
            yield entry
            continue
        item = entry[1]
        boot = compute.boot_disk(item)
        if boot:
            with env.joins.lock:
                env.joins.boot_disk[str(item["selfLink"])] = boot
        yield compute.instance(env.ctx, item, meta)


def disks(env: Env) -> Iterator[Item]:
    for entry in aggregated(env, "DisksClient", "disks", "compute.disks.list", ("disk",)):
        if isinstance(entry, Gap):
            yield entry
            continue
        item = entry[1]
        link = str(item["selfLink"])
        with env.joins.lock:
            env.joins.boot_mode[link] = compute.disk_boot_mode(item)
            if item.get("sourceImage"):
                env.joins.source_image[link] = str(item["sourceImage"])
        yield compute.disk(env.ctx, item)


def images(env: Env) -> Iterator[Item]:
    client = env.session.compute("ImagesClient")
    for item in listed(env, "ImagesClient"):
        policy: Json | None = None
        try:
            policy = as_json(
                client.get_iam_policy(
                    project=env.project, resource=str(item["name"]), **env.call_kwargs()
                )
            )
        except Exception as exc:
            yield env.gap("compute.images.getIamPolicy", ("machine_image",), exc)
        yield compute.image(env.ctx, item, policy)


def networks(env: Env) -> Iterator[Item]:
    for item in listed(env, "NetworksClient"):
        yield from network.network(env.ctx, item)


def firewalls(env: Env) -> Iterator[Item]:
    for item in listed(env, "FirewallsClient"):
        yield from firewall.firewall(env.ctx, item)


def firewall_policies(env: Env) -> Iterator[Item]:
    """Network and hierarchical firewall policies in force on each network; a network whose
    answer failed leaves the project's firewall unknown (a gap)."""
    client = env.session.compute("NetworksClient")
    for item in listed(env, "NetworksClient"):
        link = str(item["selfLink"])
        try:
            body = as_json(
                client.get_effective_firewalls(
                    project=env.project, network=str(item["name"]), **env.call_kwargs()
                )
            )
        except Exception as exc:
            yield env.gap(FW_POLICY_OP, FW_POLICY_KINDS, exc)
            continue
        yield from fw_policy.effective_policies(env.ctx, link, body)


def subnets(env: Env) -> Iterator[Item]:
    kinds = ("subnet", "flow_log_config")
    ops = "compute.subnetworks.list"
    for entry in aggregated(env, "SubnetworksClient", "subnetworks", ops, kinds):
        if isinstance(entry, Gap):
            yield entry
        else:
            yield from network.subnet(env.ctx, entry[1])


# --- identity, logging, alerting -------------------------------------------------------


def iam_policy(env: Env) -> Iterator[Item]:
    policy = env.session.projects().get_iam_policy(
        request={"resource": f"projects/{env.project}", "options": {"requested_policy_version": 3}},
        **env.call_kwargs(),
    )
    yield from iam.policy(env.ctx, as_json(policy))


def service_accounts(env: Env) -> Iterator[Item]:
    s = env.session
    for item in s.pages("iam", f"/v1/projects/{env.project}/serviceAccounts", "accounts"):
        principal = iam.service_account(env.ctx, item)
        yield principal
        try:
            body = s.get_json("iam", f"/v1/{item['name']}/keys", {"keyTypes": "USER_MANAGED"})
        except Exception as exc:
            yield env.gap("iam.serviceAccountKeys.list", ("credential",), exc)
            continue
        for key in body.get("keys") or []:
            if key.get("keyType", "USER_MANAGED") == "USER_MANAGED":
                yield iam.sa_key(env.ctx, principal.id, key)


def custom_roles(env: Env) -> Iterator[Item]:
    path = f"/v1/projects/{env.project}/roles"
    for item in env.session.pages("iam", path, "roles", {"view": "FULL", "showDeleted": "true"}):
        yield iam.custom_role(env.ctx, item)


BUCKET_OP = "storage.buckets.get"
LOG_BUCKET = "log_bucket"
"""Gap kind of an unreadable sink bucket: no entity of its own, it leaves the sink's
``immutable`` unknown (ERROR in the tamper-resistance check, which reads the gap) without
withdrawing what other checks judge on the same sinks."""


def sinks(env: Env) -> Iterator[Item]:
    """Sinks, each storage sink with its bucket's retention lock; an unreadable bucket
    leaves that sink's lock unknown and is a gap of kind ``log_bucket``."""
    locks: dict[str, bool | None] = {}
    for item in env.session.pages("logging", f"/v2/projects/{env.project}/sinks", "sinks"):
        bucket = logging.storage_bucket(str(item.get("destination", "")))
        if bucket is not None and bucket not in locks:
            try:
                body = env.session.get_json(
                    "storage",
                    f"/storage/v1/b/{quote(bucket, safe='')}",
                    {"fields": "retentionPolicy,iamConfiguration"},
                )
            except Exception as exc:
                locks[bucket] = None
                yield env.gap(BUCKET_OP, (LOG_BUCKET,), exc)
            else:
                locks[bucket] = logging.retention_locked(body)
        yield logging.sink(env.ctx, item, locks.get(bucket) if bucket else None)


def alerts(env: Env) -> Iterator[Item]:
    s, p, kinds = env.session, env.project, ("alert_rule",)
    try:
        metrics = list(s.pages("logging", f"/v2/projects/{p}/metrics", "metrics"))
    except Exception as exc:
        yield env.gap("logging.logMetrics.list", kinds, exc)
        return
    policies = list(s.pages("monitoring", f"/v3/projects/{p}/alertPolicies", "alertPolicies"))
    channels: list[Json] | None
    try:
        channels = list(
            s.pages("monitoring", f"/v3/projects/{p}/notificationChannels", "notificationChannels")
        )
    except Exception as exc:
        channels = None
        yield env.gap("monitoring.notificationChannels.list", kinds, exc)
    yield from logging.alert_rules(env.ctx, policies, metrics, channels)


def asset_inventory(env: Env) -> Iterator[Item]:
    path = f"/v1/projects/{env.project}/services/{services.ASSET_API}"
    yield services.asset_inventory(env.ctx, env.session.get_json("serviceusage", path))


def threat_detection(env: Env) -> Iterator[Item]:
    path = f"/v1/projects/{env.project}/locations/global/securityCenterServices/{services.ETD}"
    body: Json | None
    try:
        body = env.session.get_json("securitycentermanagement", path)
    except gexc.NotFound:
        body = None
    yield services.threat_detection(env.ctx, body)


@dataclass(frozen=True)
class UnitSpec:
    operation: str
    kinds: tuple[str, ...]
    run: Callable[[Env], Iterable[Item]]


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("compute.instances.list", ("compute_instance",), instances),
    UnitSpec("compute.disks.list", ("disk",), disks),
    UnitSpec("compute.images.list", ("machine_image",), images),
    UnitSpec(
        "compute.networks.list",
        ("network", "network_peering", "firewall_rule_set", "firewall_rule"),
        networks,
    ),
    UnitSpec("compute.firewalls.list", ("firewall_rule",), firewalls),
    UnitSpec(FW_POLICY_OP, FW_POLICY_KINDS, firewall_policies),
    UnitSpec("compute.subnetworks.list", ("subnet", "flow_log_config"), subnets),
    UnitSpec(
        "resourcemanager.projects.getIamPolicy",
        ("role_binding", "audit_trail", "principal"),
        iam_policy,
    ),
    UnitSpec("iam.serviceAccounts.list", ("principal", "credential"), service_accounts),
    UnitSpec("iam.roles.list", ("role_definition",), custom_roles),
    UnitSpec("logging.sinks.list", ("audit_trail",), sinks),
    UnitSpec("monitoring.alertPolicies.list", ("alert_rule",), alerts),
    UnitSpec("serviceusage.services.get", ("security_service:asset_inventory",), asset_inventory),
    UnitSpec(
        "securitycentermanagement.securityCenterServices.get",
        ("security_service:threat_detection",),
        threat_detection,
    ),
)
