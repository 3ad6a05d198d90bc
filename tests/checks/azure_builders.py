"""Azure entities for check tests: lowercased ARM ids in one test subscription."""

from __future__ import annotations

from typing import Any, TypeVar

from scanner.engine import evaluate
from scanner.inventory import (
    ALL_PORTS,
    GLOBAL,
    Entity,
    FirewallRule,
    FirewallRuleSet,
    Gap,
    GapReason,
    Inventory,
    PortRange,
    ScanScope,
)
from scanner.registry import CheckConfig, load_checks
from scanner.results import Finding
from tests.checks.builders import CFG

SUB = "00000000-0000-0000-0000-0000000000aa"
OTHER_SUB = "00000000-0000-0000-0000-0000000000bb"
FOREIGN_SUB = "99999999-0000-0000-0000-000000000099"
LOCATION = "westeurope"
SUB_ID = f"/subscriptions/{SUB}"
AZ_SCOPE = ScanScope("azure", SUB, SUB_ID, name="test-sub", regions=(LOCATION,))
WORLD = frozenset({"*", "internet", "any", "0.0.0.0/0", "::/0"})

T = TypeVar("T", bound=Entity)


def arm(provider_path: str, rg: str = "rg1", sub: str = SUB) -> str:
    """A lowercased ARM id, e.g. ``arm("microsoft.network/networksecuritygroups/nsg1")``."""
    return f"/subscriptions/{sub}/resourcegroups/{rg}/providers/{provider_path}".lower()


def az(cls: type[T], native_id: str, *, region: str = LOCATION, **fields: Any) -> T:
    name = fields.pop("name", native_id.rsplit("/", 1)[-1])
    return cls(id=native_id, provider="azure", account=SUB, region=region, name=name, **fields)


def nsg(name: str, *attached: str) -> FirewallRuleSet:
    return az(
        FirewallRuleSet,
        arm(f"microsoft.network/networksecuritygroups/{name}"),
        set_kind="nsg",
        attached_to=attached,
    )


def nsg_rule(
    set_id: str,
    name: str,
    priority: int,
    *,
    access: str = "allow",
    protocol: str = "tcp",
    ports: tuple[int, int] | None = None,
    source: str = "*",
    direction: str = "ingress",
) -> FirewallRule:
    """A custom NSG rule (priority < 65000) or a default one (>= 65000)."""
    kind = "defaultsecurityrules" if priority >= 65000 else "securityrules"
    return az(
        FirewallRule,
        f"{set_id}/{kind}/{name}",
        set_id=set_id,
        set_kind="nsg",
        direction=direction,
        action=access,
        priority=priority,
        protocol=protocol,
        ports=(ALL_PORTS,) if ports is None else (PortRange(*ports),),
        sources=(source,),
        source_is_world=source.lower() in WORLD,
    )


def default_inbound(set_id: str) -> tuple[FirewallRule, ...]:
    """Azure's three default inbound rules."""
    return (
        nsg_rule(set_id, "allowvnetinbound", 65000, protocol="all", source="VirtualNetwork"),
        nsg_rule(
            set_id,
            "allowazureloadbalancerinbound",
            65001,
            protocol="all",
            source="AzureLoadBalancer",
        ),
        nsg_rule(set_id, "denyallinbound", 65500, access="deny", protocol="all"),
    )


def az_gap(kinds: tuple[str, ...], region: str = GLOBAL) -> Gap:
    return Gap(
        "azure",
        SUB,
        region,
        "Microsoft.Test/things/read",
        kinds,
        GapReason.ACCESS_DENIED,
        "denied",
    )


def az_run(
    check_id: str,
    *entities: Entity,
    gaps: tuple[Gap, ...] = (),
    scopes: tuple[ScanScope, ...] = (AZ_SCOPE,),
    cfg: CheckConfig = CFG,
) -> list[Finding]:
    checks = load_checks(plugins=False)
    inv = Inventory(entities=entities, gaps=gaps, scopes=scopes)
    return list(evaluate(inv, [checks[check_id]], cfg).findings)
