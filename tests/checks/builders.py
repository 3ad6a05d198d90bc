"""Tiny inventories for check tests: a few lines per case, real engine, no cloud."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from scanner.engine import evaluate
from scanner.inventory import (
    GLOBAL,
    Entity,
    FirewallRule,
    Gap,
    GapReason,
    Inventory,
    PortRange,
    ScanScope,
)
from scanner.registry import CheckConfig, load_checks
from scanner.results import Finding, Status

ACCOUNT = "111122223333"
REGION = "eu-west-1"
OTHER_REGION = "us-east-1"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
SCOPE = ScanScope("aws", ACCOUNT, ROOT_ARN, name="test", regions=(REGION,))
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CFG = CheckConfig(now=NOW)

T = TypeVar("T", bound=Entity)


def ec2(path: str, region: str = REGION) -> str:
    """ARN of an EC2 resource, e.g. ``ec2("security-group/sg-1")``."""
    return f"arn:aws:ec2:{region}:{ACCOUNT}:{path}"


def iam(path: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{path}"


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def make(cls: type[T], native_id: str, *, region: str = REGION, **fields: Any) -> T:
    """An AWS entity of ``cls`` in the test account; ``region`` defaults to eu-west-1."""
    return cls(id=native_id, provider="aws", account=ACCOUNT, region=region, **fields)


def rule(
    set_id: str,
    n: int,
    *,
    action: str = "allow",
    protocol: str = "all",
    ports: tuple[int, int] = (0, 65535),
    source: str = "0.0.0.0/0",
    priority: int | None = None,
    direction: str = "ingress",
    set_kind: str = "sg",
) -> FirewallRule:
    world = source in ("0.0.0.0/0", "::/0")
    return make(
        FirewallRule,
        f"{set_id}/{direction}/{n}",
        set_id=set_id,
        set_kind=set_kind,
        direction=direction,
        action=action,
        priority=priority,
        protocol=protocol,
        ports=(PortRange(*ports),),
        sources=(source,),
        source_is_world=world,
    )


def gap(kinds: tuple[str, ...], region: str = GLOBAL) -> Gap:
    return Gap("aws", ACCOUNT, region, "test:Operation", kinds, GapReason.ACCESS_DENIED, "denied")


def run(
    check_id: str,
    *entities: Entity,
    gaps: tuple[Gap, ...] = (),
    scopes: tuple[ScanScope, ...] = (SCOPE,),
    cfg: CheckConfig = CFG,
) -> list[Finding]:
    """Findings of one built-in check over an inventory made of ``entities``."""
    checks = load_checks(plugins=False)
    inv = Inventory(entities=entities, gaps=gaps, scopes=scopes)
    return list(evaluate(inv, [checks[check_id]], cfg).findings)


def statuses(findings: list[Finding]) -> dict[str, Status]:
    """Status by resource id (each check gives one result per resource)."""
    out: dict[str, Status] = {}
    for f in findings:
        assert f.resource.id not in out, f"two results for {f.resource.id}"
        out[f.resource.id] = f.status
    return out


def only(findings: list[Finding], resource_id: str) -> Finding:
    hits = [f for f in findings if f.resource.id == resource_id]
    assert len(hits) == 1, [(f.resource.id, f.status, f.message) for f in findings]
    return hits[0]
