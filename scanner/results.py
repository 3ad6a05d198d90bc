"""What checks return (``Result``) and what the engine publishes (``Finding``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from scanner.inventory import Entity, ResourceRef


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    """Not evaluated: the data the check needs could not be collected for this scope."""


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_ORDER = list(Severity)


def _ref(resource: Entity | ResourceRef) -> ResourceRef:
    return resource.ref() if isinstance(resource, Entity) else resource


def _frozen(evidence: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(evidence))


@dataclass(frozen=True, slots=True)
class Result:
    """One check's verdict on one resource. ``severity`` overrides the check's default."""

    status: Status
    resource: ResourceRef
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None

    @classmethod
    def passed(cls, resource: Entity | ResourceRef, message: str, **evidence: Any) -> Result:
        return cls(Status.PASS, _ref(resource), message, _frozen(evidence))

    @classmethod
    def failed(
        cls,
        resource: Entity | ResourceRef,
        message: str,
        *,
        severity: Severity | None = None,
        **evidence: Any,
    ) -> Result:
        return cls(Status.FAIL, _ref(resource), message, _frozen(evidence), severity)

    @classmethod
    def error(cls, resource: Entity | ResourceRef, message: str, **evidence: Any) -> Result:
        return cls(Status.ERROR, _ref(resource), message, _frozen(evidence))


class Lifecycle(StrEnum):
    """Where a failing finding stands against the previous run (``--state-dir``)."""

    NEW = "new"
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Suppression:
    """An accepted finding: the suppressions-file entry that matched it."""

    reason: str
    owner: str
    expires: date | None
    entry: str
    """The entry's ``id``, or ``<file name>:<line>`` when it has none."""


def finding_id(check_id: str, resource_id: str) -> str:
    """Stable across scans: the same check on the same resource gives the same id."""
    digest = hashlib.sha256(f"{check_id}\x00{resource_id}".encode()).hexdigest()
    return f"cldscan-{digest[:32]}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A result with the check's metadata attached: the unit of every output format."""

    finding_id: str
    check_id: str
    title: str
    status: Status
    severity: Severity
    controls: tuple[str, ...]
    resource: ResourceRef
    message: str
    evidence: Mapping[str, Any]
    remediation: str
    references: tuple[str, ...] = ()
    lifecycle: Lifecycle | None = None
    """None without state, and for PASS findings that were not failing before."""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    suppression: Suppression | None = None

    @property
    def failing(self) -> bool:
        """A FAIL that counts: suppressed FAILs do not fail a scan or a control."""
        return self.status is Status.FAIL and self.suppression is None

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def shown_at(self, threshold: Severity | None) -> bool:
        """Whether ``--severity threshold`` keeps this finding. ERROR findings are always
        kept: what could not be evaluated may hide findings of any severity (a check can
        raise a finding above its default), so it must not read as complete."""
        return threshold is None or self.status is Status.ERROR or self.severity.at_least(threshold)
