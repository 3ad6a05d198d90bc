"""GCP records for check tests, shaped as the GCP provider maps them (gcp-mapping)."""

from __future__ import annotations

from typing import Any, TypeVar

from scanner.engine import evaluate
from scanner.inventory import (
    ALL_PORTS,
    GLOBAL,
    ComputeInstance,
    Entity,
    FirewallRule,
    FirewallRuleSet,
    Gap,
    GapReason,
    Inventory,
    LoginSettings,
    PortRange,
    ScanScope,
)
from scanner.registry import CheckConfig, load_checks
from scanner.results import Finding
from tests.checks.builders import CFG

PROJECT = "acme-prod"
OTHER_PROJECT = "acme-shared"
REGION = "us-central1"
ZONE = "us-central1-a"
API = "https://www.googleapis.com/compute/v1"
SCOPE = ScanScope(
    "gcp",
    PROJECT,
    f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}",
    name="Acme prod",
    regions=(REGION,),
)
NETWORK = f"{API}/projects/{PROJECT}/global/networks/prod-vpc"
FW_SET = f"{NETWORK}/firewalls"
SUBNET = f"{API}/projects/{PROJECT}/regions/{REGION}/subnetworks/app"
APP_SA = f"app@{PROJECT}.iam.gserviceaccount.com"
DEFAULT_SA = "123456789-compute@developer.gserviceaccount.com"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"

T = TypeVar("T", bound=Entity)


def make(cls: type[T], native_id: str, *, region: str = GLOBAL, **fields: Any) -> T:
    """A GCP entity of ``cls`` in the test project (global unless ``region`` says)."""
    fields.setdefault("name", native_id.rsplit("/", 1)[-1])
    return cls(id=native_id, provider="gcp", account=PROJECT, region=region, **fields)


def instance_id(name: str) -> str:
    return f"{API}/projects/{PROJECT}/zones/{ZONE}/instances/{name}"


def vm(name: str = "app-1", **fields: Any) -> ComputeInstance:
    """A hardened, running instance on prod-vpc; override what a case needs."""
    base: dict[str, Any] = {
        "state": "running",
        "network_id": NETWORK,
        "subnet_id": SUBNET,
        "firewall_set_ids": (FW_SET,),
        "identity_ref": APP_SA,
        "identity_scopes": (CLOUD_PLATFORM,),
        "secure_boot": True,
        "vtpm": True,
        "integrity_monitoring": True,
        "login": LoginSettings(central_login=True, project_keys_blocked=True, serial_console=False),
        "ip_forwarding": False,
    }
    base.update(fields)
    return make(ComputeInstance, instance_id(name), region=REGION, **base)


def fw_set(network: str = NETWORK) -> FirewallRuleSet:
    return make(
        FirewallRuleSet,
        f"{network}/firewalls",
        name=network.rsplit("/", 1)[-1],
        set_kind="vpc_fw",
        network_id=network,
    )


def fw(
    name: str,
    *,
    action: str = "allow",
    protocol: str = "all",
    ports: tuple[int, int] | None = None,
    sources: tuple[str, ...] = ("0.0.0.0/0",),
    priority: int = 1000,
    direction: str = "ingress",
    targets: tuple[str, ...] = (),
    enabled: bool = True,
    network: str = NETWORK,
) -> FirewallRule:
    selflink = f"{API}/projects/{PROJECT}/global/firewalls/{name}"
    return make(
        FirewallRule,
        f"{selflink}/{action}/0",
        name=name,
        set_id=f"{network}/firewalls",
        set_kind="vpc_fw",
        direction=direction,
        action=action,
        priority=priority,
        protocol=protocol,
        ports=(PortRange(*ports),) if ports else (ALL_PORTS,),
        sources=sources,
        source_is_world=any(s in ("0.0.0.0/0", "::/0") for s in sources),
        targets=targets,
        enabled=enabled,
    )


def implied_deny(network: str = NETWORK) -> FirewallRule:
    return make(
        FirewallRule,
        f"{network}/firewalls/implied-deny-ingress",
        name="implied-deny-ingress",
        set_id=f"{network}/firewalls",
        set_kind="vpc_fw",
        action="deny",
        priority=65535,
        sources=("0.0.0.0/0",),
        source_is_world=True,
    )


def gap(kinds: tuple[str, ...], region: str = GLOBAL, project: str = PROJECT) -> Gap:
    return Gap("gcp", project, region, "compute.test.list", kinds, GapReason.ACCESS_DENIED, "403")


def run(
    check_id: str,
    *entities: Entity,
    gaps: tuple[Gap, ...] = (),
    scopes: tuple[ScanScope, ...] = (SCOPE,),
    cfg: CheckConfig = CFG,
) -> list[Finding]:
    """Findings of one built-in check over a GCP inventory made of ``entities``."""
    checks = load_checks(plugins=False)
    inv = Inventory(entities=entities, gaps=gaps, scopes=scopes)
    return list(evaluate(inv, [checks[check_id]], cfg).findings)
