"""Inventory behaviour: immutability, look-ups, merging shards."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from scanner.inventory import (
    ENTITY_TYPES,
    FirewallRule,
    Inventory,
    PortRange,
    Principal,
    ScanScope,
)


def _rule(**kw: object) -> FirewallRule:
    base: dict[str, object] = {
        "id": "r1",
        "provider": "aws",
        "account": "1",
        "region": "us-east-1",
    }
    base.update(kw)
    return FirewallRule(**base)  # type: ignore[arg-type]


def test_entities_are_immutable_including_tags() -> None:
    rule = _rule(tags={"env": "prod"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rule.tags["env"] = "dev"  # type: ignore[index]


def test_firewall_rule_world_admission_and_port_ranges() -> None:
    ssh = _rule(protocol="tcp", ports=(PortRange(22, 22),), source_is_world=True)
    assert ssh.admits_world()
    assert ssh.ports[0].covers(22)
    assert not ssh.ports[0].covers(3389)
    assert not ssh.ports[0].is_all
    assert PortRange(0, 65535).is_all
    assert not _rule(source_is_world=True, enabled=False).admits_world()
    assert not _rule(source_is_world=True, action="deny").admits_world()
    assert not _rule(source_is_world=True, direction="egress").admits_world()


def test_get_resolves_aliases_and_checks_type() -> None:
    role = Principal(
        id="arn:aws:iam::1:role/app",
        provider="aws",
        account="1",
        region="global",
        aliases=("arn:aws:iam::1:instance-profile/app",),
    )
    inv = Inventory(entities=(role,))
    assert inv.get("arn:aws:iam::1:instance-profile/app", Principal) is role
    assert inv.get("arn:aws:iam::1:role/app", FirewallRule) is None
    assert inv.get(None, Principal) is None


def test_merge_joins_shards() -> None:
    t1 = datetime(2026, 1, 1, tzinfo=UTC)
    t2 = datetime(2026, 1, 2, tzinfo=UTC)
    a = Inventory(entities=(_rule(id="a"),), scopes=(ScanScope("aws", "1", "x"),), collected_at=t2)
    b = Inventory(entities=(_rule(id="b"),), scopes=(ScanScope("aws", "2", "y"),), collected_at=t1)
    merged = Inventory.merge(a, b)
    assert [r.id for r in merged.of(FirewallRule)] == ["a", "b"]
    assert [s.account for s in merged.scopes] == ["1", "2"]
    assert merged.collected_at == t1


def test_entity_kinds_are_unique_and_registered() -> None:
    assert len(ENTITY_TYPES) == len({cls.kind for cls in ENTITY_TYPES.values()})
    for kind, cls in ENTITY_TYPES.items():
        assert cls.kind == kind
