"""Collect GCP projects: resolve them, run every unit of each, join what units share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import structlog

from providers.base import Progress
from providers.gcp.discovery import discover, root
from providers.gcp.errors import classify
from providers.gcp.normalise.common import PROVIDER, Ctx
from providers.gcp.normalise.fw_policy import SET_KIND
from providers.gcp.options import GcpOptions
from providers.gcp.session import GcpSession, open_session
from providers.gcp.units import UNITS, Env, Joins
from providers.runner import Unit, run_units
from scanner import __version__
from scanner.errors import ConfigurationError
from scanner.inventory import (
    GLOBAL,
    ComputeInstance,
    Entity,
    FirewallRuleSet,
    Inventory,
    Principal,
    RoleBinding,
    RoleDefinition,
    ScanScope,
)

log = structlog.get_logger(__name__)


def resolve_projects(session: GcpSession, options: GcpOptions) -> dict[str, str]:
    """Project id → display name: the ``--project`` ones, or every active one found (under
    the organization or folder, sub-folders included)."""
    if options.projects:
        return {p: p for p in dict.fromkeys(options.projects)}
    found = discover(session, options)
    if not found:
        top = root(options)
        where = f" under {top}" if top else ""
        raise ConfigurationError(f"no active project visible to these credentials{where}")
    return dict(sorted(found.items()))


def build_units(session: GcpSession, projects: Iterable[str], joins: Joins) -> list[Unit]:
    units = []
    for project in projects:
        env = Env(session, Ctx(project), joins)
        for spec in UNITS:
            units.append(
                Unit(
                    PROVIDER,
                    project,
                    GLOBAL,
                    spec.operation,
                    spec.kinds,
                    (lambda s=spec, e=env: s.run(e)),  # type: ignore[misc]
                )
            )
    return units


def join(entities: Sequence[Entity], joins: Joins) -> list[Entity]:
    """Boot image and boot mode (from the boot disk) and the firewall policies of their
    networks onto instances; custom roles' admin
    equivalence onto their bindings; one principal per id, none for a member that is a
    collected service account's alias."""
    aliases = {alias for e in entities if isinstance(e, Principal) for alias in e.aliases}
    policies = policy_sets(entities)
    roles = {e.id: e.admin_equivalent for e in entities if isinstance(e, RoleDefinition)}
    out: list[Entity] = []
    seen: set[str] = set()
    for e in entities:
        if isinstance(e, Principal):
            if e.id in seen or e.id in aliases:
                continue
            seen.add(e.id)
        elif isinstance(e, RoleBinding) and e.admin_equivalent is None and e.role in roles:
            out.append(replace(e, admin_equivalent=roles[e.role]))
            continue
        elif isinstance(e, ComputeInstance):
            vm = with_policy_sets(e, policies)
            disk = joins.boot_disk.get(e.id) or ""
            if disk in joins.boot_mode:
                vm = replace(
                    vm, image_ref=joins.source_image.get(disk), boot_mode=joins.boot_mode[disk]
                )
            out.append(vm)
            continue
        out.append(e)
    return out


def policy_sets(entities: Iterable[Entity]) -> dict[str, list[str]]:
    """Network selfLink → ids of the firewall policy rule sets in force on it."""
    found: dict[str, list[str]] = {}
    for e in entities:
        if isinstance(e, FirewallRuleSet) and e.set_kind == SET_KIND and e.network_id:
            found.setdefault(e.network_id, []).append(e.id)
    return found


def with_policy_sets(vm: ComputeInstance, policies: dict[str, list[str]]) -> ComputeInstance:
    """The firewall policies of the instance's networks join its VPC firewalls."""
    extra = [
        set_id
        for fw in vm.firewall_set_ids
        for set_id in policies.get(fw.removesuffix("/firewalls"), [])
    ]
    if not extra:
        return vm
    return replace(vm, firewall_set_ids=tuple(dict.fromkeys((*vm.firewall_set_ids, *extra))))


def regions_in_use(project: str, entities: Iterable[Entity]) -> tuple[str, ...]:
    return tuple(
        sorted({e.region for e in entities if e.account == project and e.region != GLOBAL})
    )


def collect_projects(options: GcpOptions, progress: Progress | None = None) -> Inventory:
    started = datetime.now(UTC)
    session = open_session(options)
    projects = resolve_projects(session, options)
    log.info("gcp_scope", projects=list(projects), endpoint=session.endpoint or "google")
    joins = Joins()
    outcome = run_units(
        build_units(session, projects, joins), classify, options.max_workers, progress
    )
    entities = join(outcome.entities, joins)
    scopes = tuple(
        ScanScope(
            provider=PROVIDER,
            account=project,
            native_id=Ctx(project).native_id,
            name=name,
            regions=regions_in_use(project, entities),
        )
        for project, name in projects.items()
    )
    return Inventory(
        entities=tuple(entities),
        gaps=tuple(outcome.gaps),
        scopes=scopes,
        collected_at=started,
        tool_version=__version__,
    )
