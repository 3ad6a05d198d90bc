"""Collect Azure subscriptions: resolve them, run every unit, join what units share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import structlog

from providers.azure.errors import classify
from providers.azure.normalise.common import PROVIDER
from providers.azure.options import AzureOptions
from providers.azure.session import AzureSession, SubscriptionRef, open_session
from providers.azure.session import resolve_subscriptions as resolve
from providers.azure.units import UNITS, Env
from providers.base import Progress
from providers.runner import Unit, run_units
from scanner import __version__
from scanner.inventory import (
    GLOBAL,
    ComputeInstance,
    Disk,
    Entity,
    FirewallRuleSet,
    Inventory,
    Network,
    NetworkInterface,
    RoleBinding,
    RoleDefinition,
    ScanScope,
    SecurityService,
    Subnet,
)

log = structlog.get_logger(__name__)
REGION_KINDS = frozenset(
    {
        ComputeInstance.kind,
        NetworkInterface.kind,
        FirewallRuleSet.kind,
        Network.kind,
        Disk.kind,
        SecurityService.kind,
    }
)
"""Kinds whose locations make up a subscription's scanned regions."""


def build_units(session: AzureSession, subscriptions: Sequence[SubscriptionRef]) -> list[Unit]:
    def unit(sub: str, index: int) -> Unit:
        spec = UNITS[index]
        env = Env(session, sub)
        return Unit(PROVIDER, sub, GLOBAL, spec.operation, spec.kinds, lambda: spec.run(env))

    return [unit(s.id, i) for s in subscriptions for i in range(len(UNITS))]


def _role_key(role_id: str) -> str:
    return role_id.rsplit("/", 1)[-1]


def _join_vm(
    vm: ComputeInstance, nics: dict[str, NetworkInterface], subnets: dict[str, Subnet]
) -> ComputeInstance:
    found = [nics.get(n) for n in vm.network_interface_ids]
    seen = [n for n in found if n is not None]
    if not seen:
        return vm
    primary = found[0]
    firewall: list[str] = []
    for nic in seen:
        firewall.extend(nic.firewall_set_ids)
        subnet = subnets.get(nic.subnet_id or "")
        if subnet is not None:
            firewall.extend(subnet.filter_policy_ids)
    forwarding = [n.ip_forwarding if n is not None else None for n in found]
    if any(forwarding):
        ip_forwarding: bool | None = True
    elif None in forwarding:
        ip_forwarding = None
    else:
        ip_forwarding = False
    return replace(
        vm,
        subnet_id=primary.subnet_id if primary else None,
        network_id=primary.network_id if primary else None,
        firewall_set_ids=tuple(dict.fromkeys(firewall)),
        public_ips=tuple(dict.fromkeys(ip for n in seen for ip in n.public_ips)),
        ip_forwarding=ip_forwarding,
    )


def join(entities: Iterable[Entity]) -> list[Entity]:
    """VMs take their network fields from NICs and subnets; role assignments take
    their role's name and admin equivalence from the role definitions."""
    entities = list(entities)
    nics = {e.id: e for e in entities if isinstance(e, NetworkInterface)}
    subnets = {e.id: e for e in entities if isinstance(e, Subnet)}
    roles: dict[tuple[str, str], RoleDefinition] = {
        (e.account, _role_key(e.id)): e for e in entities if isinstance(e, RoleDefinition)
    }
    out: list[Entity] = []
    for e in entities:
        if isinstance(e, ComputeInstance):
            out.append(_join_vm(e, nics, subnets))
        elif isinstance(e, RoleBinding):
            role = roles.get((e.account, _role_key(e.role)))
            out.append(
                replace(e, role_name=role.name, admin_equivalent=role.admin_equivalent)
                if role
                else e
            )
        else:
            out.append(e)
    return out


def _regions(entities: Iterable[Entity], account: str) -> tuple[str, ...]:
    return tuple(
        sorted(
            {
                e.region
                for e in entities
                if e.account == account and e.kind in REGION_KINDS and e.region != GLOBAL
            }
        )
    )


def collect_subscriptions(options: AzureOptions, progress: Progress | None = None) -> Inventory:
    """Collect every subscription in scope into one inventory."""
    started = datetime.now(UTC)
    session = open_session(options)
    subscriptions = resolve(session)
    log.info("azure_scope", subscriptions=[s.id for s in subscriptions])
    outcome = run_units(
        build_units(session, subscriptions), classify, options.max_workers, progress
    )
    entities = join(outcome.entities)
    scopes = tuple(
        ScanScope(
            provider=PROVIDER,
            account=s.id,
            native_id=f"/subscriptions/{s.id}",
            name=s.name,
            regions=_regions(entities, s.id),
        )
        for s in subscriptions
    )
    return Inventory(
        entities=tuple(entities),
        gaps=tuple(outcome.gaps),
        scopes=scopes,
        collected_at=started,
        tool_version=__version__,
    )
