"""Helpers shared by the built-in checks: labels, provider filters, scanned scopes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from scanner.inventory import (
    GLOBAL,
    ComputeInstance,
    Entity,
    Inventory,
    Principal,
    ResourceRef,
    RoleBinding,
    ScanScope,
)
from scanner.results import Result

T = TypeVar("T", bound=Entity)

_RUNNING_STATES = frozenset({"running", "vm running"})


def short_id(native_id: str) -> str:
    """The human part of a native id: ``sg-0abc`` from an ARN, ``root`` from the root ARN."""
    tail = native_id.rsplit("/", 1)[-1]
    if tail.startswith("arn:"):
        tail = tail.rsplit(":", 1)[-1]
    return tail


def label(entity: Entity | ResourceRef) -> str:
    """``sg-0abc (web)``: the short id and, when it says more, the name."""
    sid = short_id(entity.id)
    return f"{sid} ({entity.name})" if entity.name and entity.name != sid else sid


def of_providers(inv: Inventory, cls: type[T], providers: Iterable[str]) -> Iterator[T]:
    """Entities of ``cls`` that belong to one of ``providers``."""
    wanted = set(providers)
    return (e for e in inv.of(cls) if e.provider in wanted)


def scanned_scopes(inv: Inventory, providers: Iterable[str]) -> Iterator[ScanScope]:
    wanted = set(providers)
    return (s for s in inv.scopes if s.provider in wanted)


def scanned_regions(inv: Inventory, providers: Iterable[str]) -> Iterator[tuple[ScanScope, str]]:
    """Every (scope, region) that was scanned for ``providers``."""
    for scope in scanned_scopes(inv, providers):
        for region in scope.regions:
            yield scope, region


def in_scope(entity: Entity, scope: ScanScope, region: str | None = None) -> bool:
    """Whether ``entity`` belongs to ``scope`` (and to ``region`` or is account-wide)."""
    if entity.provider != scope.provider or entity.account != scope.account:
        return False
    return region is None or entity.region in (region, GLOBAL)


def is_running(instance: ComputeInstance) -> bool:
    """Running, or of unreported state (an unknown state is evaluated, not skipped)."""
    return not instance.state or instance.state.lower() in _RUNNING_STATES


def not_reported(resource: Entity | ResourceRef, what: str) -> Result:
    """The ERROR result for a field the provider did not report."""
    return Result.error(resource, f"{label(resource)}: {what} not reported; cannot evaluate")


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def bindings_of(inv: Inventory, principal: Principal) -> list[RoleBinding]:
    """Every binding held by ``principal`` directly or through its groups."""
    holders = {principal.id, *principal.aliases, *principal.member_of}
    return [b for b in inv.of(RoleBinding) if b.principal_id in holders]


def gap_cause(inv: Inventory, entity: Entity, operation: str) -> str:
    """``operation: reason (detail)`` of the account-wide gap that left ``entity``'s
    related data unread, or "" when no such gap was recorded."""
    for gap in inv.gaps_for(entity.provider, entity.account, GLOBAL):
        if gap.operation == operation:
            detail = f" ({gap.detail})" if gap.detail else ""
            return f"{gap.operation}: {gap.reason.value}{detail}"
    return ""


def unseen(inv: Inventory, provider: str, account: str, region: str, kinds: Iterable[str]) -> bool:
    """Whether a gap may hide entities of ``kinds`` here: absence then proves nothing.

    Checks that FAIL on the absence of something (no detector, no trail) stay silent in
    such a scope; the engine reports the gap there as ERROR.
    """
    wanted = tuple(kinds)
    return any(g.affects(wanted) for g in inv.gaps_for(provider, account, region))
