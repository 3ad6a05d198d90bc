"""The native finding record shared by the json, jsonl and csv formats (docs/formats.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from scanner.engine import ControlSummary
from scanner.results import Finding, Suppression


def jsonable(value: Any) -> Any:
    """Plain JSON data for evidence values (mappings, tuples, sets, dates, enums)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def finding_record(finding: Finding) -> dict[str, Any]:
    r = finding.resource
    return {
        "finding_id": finding.finding_id,
        "check_id": finding.check_id,
        "title": finding.title,
        "status": finding.status.value,
        "severity": finding.severity.value,
        "controls": list(finding.controls),
        "resource": {
            "id": r.id,
            "kind": r.kind,
            "provider": r.provider,
            "account": r.account,
            "region": r.region,
            "name": r.name,
        },
        "message": finding.message,
        "evidence": jsonable(finding.evidence),
        "remediation": finding.remediation,
        "references": list(finding.references),
        "lifecycle": finding.lifecycle.value if finding.lifecycle else None,
        "first_seen": _stamp(finding.first_seen),
        "last_seen": _stamp(finding.last_seen),
        "suppressed": finding.suppressed,
        "suppression": suppression_record(finding.suppression) if finding.suppression else None,
    }


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def suppression_record(mark: Suppression) -> dict[str, Any]:
    return {
        "reason": mark.reason,
        "owner": mark.owner,
        "expires": mark.expires.isoformat() if mark.expires else None,
        "entry": mark.entry,
    }


def control_record(summary: ControlSummary) -> dict[str, Any]:
    return {
        "id": summary.control_id,
        "title": summary.title,
        "verdict": summary.verdict,
        "complete": summary.complete,
        "passed": summary.passed,
        "failed": summary.failed,
        "errors": summary.errors,
        "suppressed": summary.suppressed,
        "coverage": round(summary.coverage, 4),
        "checks": list(summary.checks),
        "manual": list(summary.manual),
        "not_covered": _by_provider(summary.uncovered),
    }


def _by_provider(pairs: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for provider, check_id in pairs:
        grouped.setdefault(provider, []).append(check_id)
    return grouped
