"""The check registry: metadata, the ``@check`` decorator and plug-in discovery.

Third-party packages add checks by declaring an entry point in the group
``cldscan.checks`` whose value is a module; importing it runs its ``@check``
decorators. See ``docs/writing-checks.md``.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points

import structlog

from scanner.controls import CONTROLS
from scanner.errors import CheckLoadError
from scanner.inventory import ENTITY_TYPES, Entity, Inventory, Provider
from scanner.results import Result, Severity

ENTRY_POINT_GROUP = "cldscan.checks"
ANY_PROVIDER = "any"
BUILTIN_PACKAGE = "checks"

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CheckConfig:
    """Tunable thresholds, shared by every check (CLI options set them)."""

    admin_ports: frozenset[int] = frozenset({22, 3389})
    credential_max_age_days: int = 90
    credential_unused_days: int = 45
    root_unused_days: int = 90
    appliance_tag: str = "cldscan:appliance"
    """Instances tagged ``<appliance_tag>=true`` may forward IP traffic (routers, NAT)."""
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


CheckFunction = Callable[[Inventory, CheckConfig], Iterable[Result]]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: Severity
    controls: tuple[str, ...]
    providers: tuple[str, ...]
    needs: tuple[type[Entity] | str, ...]
    """Entity classes, or qualified kind strings ``"<entity kind>:<qualifier>"`` naming one
    service of a shared kind (``"security_service:threat_detection"``)."""
    rationale: str
    remediation: Mapping[str, str]
    """How to fix a failure, by provider; the key ``any`` serves providers not named."""
    references: tuple[str, ...]
    func: CheckFunction

    @property
    def needed_kinds(self) -> tuple[str, ...]:
        return tuple(need if isinstance(need, str) else need.kind for need in self.needs)

    def remediation_for(self, provider: str) -> str:
        return self.remediation.get(provider) or self.remediation.get(ANY_PROVIDER, "")

    def run(self, inv: Inventory, cfg: CheckConfig) -> list[Result]:
        return list(self.func(inv, cfg))


_REGISTRY: dict[str, Check] = {}


def check(
    *,
    id: str,
    title: str,
    severity: Severity,
    controls: Sequence[str],
    providers: Sequence[str],
    needs: Sequence[type[Entity] | str],
    rationale: str,
    remediation: str | Mapping[str, str],
    references: Sequence[str] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function. The function itself is returned unchanged.

    ``remediation`` is one text for every provider, or a text per provider name
    (with ``any`` as the fallback). ``needs`` holds entity classes or qualified kinds
    ``"<entity kind>:<qualifier>"``.
    """

    def register(func: CheckFunction) -> CheckFunction:
        entry = Check(
            id=id,
            title=title,
            severity=severity,
            controls=tuple(controls),
            providers=tuple(providers),
            needs=tuple(needs),
            rationale=rationale,
            remediation=(
                {ANY_PROVIDER: remediation} if isinstance(remediation, str) else dict(remediation)
            ),
            references=tuple(references),
            func=func,
        )
        _validate(entry)
        existing = _REGISTRY.get(id)
        if existing is not None and existing.func.__qualname__ != func.__qualname__:
            raise CheckLoadError(f"check id {id!r} is registered twice")
        _REGISTRY[id] = entry
        return func

    return register


def _validate(entry: Check) -> None:
    unknown = [c for c in entry.controls if c not in CONTROLS]
    if unknown:
        raise CheckLoadError(f"check {entry.id}: unknown control(s) {', '.join(unknown)}")
    bad = [p for p in entry.providers if p not in {p.value for p in Provider}]
    if bad:
        raise CheckLoadError(f"check {entry.id}: unknown provider(s) {', '.join(bad)}")
    stray = set(entry.remediation) - {ANY_PROVIDER, *entry.providers}
    if stray:
        raise CheckLoadError(
            f"check {entry.id}: remediation for provider(s) it does not declare: "
            f"{', '.join(sorted(stray))}"
        )
    if not entry.needs:
        raise CheckLoadError(f"check {entry.id}: declares no entity kinds in 'needs'")
    for need in entry.needs:
        if isinstance(need, str) and not _qualified_kind(need):
            raise CheckLoadError(
                f"check {entry.id}: need {need!r} is not '<entity kind>:<qualifier>' "
                "with a known entity kind"
            )


def _qualified_kind(need: str) -> bool:
    kind, sep, qualifier = need.partition(":")
    return bool(sep) and kind in ENTITY_TYPES and bool(qualifier) and ":" not in qualifier


def load_checks(*, plugins: bool = True) -> dict[str, Check]:
    """Import the built-in checks and every installed plug-in; return them by id."""
    importlib.import_module(BUILTIN_PACKAGE)
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.value == BUILTIN_PACKAGE:
                continue
            try:
                ep.load()
            except CheckLoadError:
                raise
            except Exception as exc:
                raise CheckLoadError(
                    f"check plug-in {ep.name!r} ({ep.value}) failed to load: {exc}"
                ) from exc
            log.debug("plugin_loaded", plugin=ep.name, module=ep.value)
    return dict(sorted(_REGISTRY.items()))


def select_checks(
    checks: dict[str, Check],
    *,
    ids: Sequence[str] = (),
    controls: Sequence[str] = (),
    providers: Sequence[str] = (),
) -> list[Check]:
    """Filter by id glob (``any.firewall.*``), control id and provider."""
    chosen = []
    for entry in checks.values():
        if ids and not any(fnmatch.fnmatchcase(entry.id, pattern) for pattern in ids):
            continue
        if controls and not set(controls) & set(entry.controls):
            continue
        if providers and not set(providers) & set(entry.providers):
            continue
        chosen.append(entry)
    return chosen
