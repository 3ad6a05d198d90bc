"""``ocsf``: OCSF 1.5.0 Compliance Finding events (class 2003), one JSON event per line.

Mapping (documented in docs/formats.md): the finding is the event; its check is the
compliance control, its CLD controls the requirements of the ISO/IEC 27017 standard;
PASS/FAIL map to compliance status Pass/Fail, ERROR (not evaluated) to Other with the
status "Not evaluated". The event's own status is the finding's workflow state: New,
Open (99 Other) or Resolved with ``--state-dir``, Suppressed when a suppression matched.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TextIO

from scanner import __version__
from scanner.controls import FRAMEWORK
from scanner.engine import ScanReport
from scanner.inventory import ScanScope
from scanner.outputs.records import jsonable, suppression_record
from scanner.results import Finding, Lifecycle, Severity, Status

OCSF_VERSION = "1.5.0"
CLASS_UID = 2003
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE

SEVERITY_IDS: dict[Severity, tuple[int, str]] = {
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
COMPLIANCE_STATUS: dict[Status, tuple[int, str]] = {
    Status.PASS: (1, "Pass"),
    Status.FAIL: (3, "Fail"),
    Status.ERROR: (99, "Not evaluated"),
}
_CLOUD = {
    "aws": ("AWS", 10, "AWS Account"),
    "azure": ("Azure", 99, "Azure Subscription"),
    "gcp": ("GCP", 99, "GCP Project"),
}


def event_status(finding: Finding) -> tuple[int, str, str | None]:
    """The event's ``status_id``, ``status`` and ``status_detail``."""
    mark = finding.suppression
    if mark is not None:
        until = f" until {mark.expires.isoformat()}" if mark.expires else ""
        return 3, "Suppressed", f"{mark.reason} (owner {mark.owner}{until}; {mark.entry})"
    if finding.lifecycle is Lifecycle.RESOLVED:
        return 4, "Resolved", None
    if finding.lifecycle is Lifecycle.OPEN:
        return 99, "Open", "Reported by an earlier run and not resolved since."
    return 1, "New", None


def _ms(stamp: datetime | None) -> int | None:
    return int(stamp.timestamp() * 1000) if stamp else None


def _partition(resource_id: str) -> str | None:
    parts = resource_id.split(":", 2)
    return parts[1] if parts[0] == "arn" and len(parts) > 2 else None


def _account(provider: str, account: str, scope: ScanScope | None) -> dict[str, Any]:
    _, type_id, type_name = _CLOUD.get(provider, (provider, 99, "Cloud Account"))
    return {
        "uid": account,
        "name": (scope.name if scope and scope.name else account),
        "type_id": type_id,
        "type": type_name,
    }


def event(
    finding: Finding,
    *,
    time_ms: int,
    rationale: str = "",
    scope: ScanScope | None = None,
) -> dict[str, Any]:
    r = finding.resource
    severity_id, severity = SEVERITY_IDS[finding.severity]
    compliance_id, compliance_status = COMPLIANCE_STATUS[finding.status]
    account = _account(r.provider, r.account, scope)
    status_id, status, status_detail = event_status(finding)
    resource: dict[str, Any] = {
        "uid": r.id,
        "type": r.kind,
        "name": r.name or r.id,
        "region": r.region,
        "owner": {
            "uid": account["uid"],
            "name": account["name"],
            "type_id": 99,
            "type": "Cloud account",
            "account": account,
        },
        "data": {"provider": r.provider, "account": r.account},
    }
    partition = _partition(r.id)
    if partition:
        resource["cloud_partition"] = partition
    out: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": TYPE_UID,
        "type_name": "Compliance Finding: Create",
        "time": time_ms,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "message": finding.message,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "product": {"name": "cldscan", "vendor_name": "cldscan", "version": __version__},
            "event_code": finding.check_id,
            "uid": finding.finding_id,
        },
        "finding_info": {
            "uid": finding.finding_id,
            "title": finding.title,
            "desc": rationale or finding.message,
            "created_time": time_ms,
        },
        "compliance": {
            "standards": [FRAMEWORK.name],
            "requirements": list(finding.controls),
            "control": finding.check_id,
            "status_id": compliance_id,
            "status": compliance_status,
            "status_code": finding.status.value,
            "status_detail": finding.message,
        },
        "resources": [resource],
        "cloud": {
            "provider": _CLOUD.get(r.provider, (r.provider,))[0],
            "account": account,
            "region": r.region,
        },
        "unmapped": {"evidence": jsonable(finding.evidence)},
    }
    if status_detail:
        out["status_detail"] = status_detail
    if finding.lifecycle is not None:
        out["unmapped"]["lifecycle"] = finding.lifecycle.value
    if finding.first_seen and finding.last_seen:
        out["finding_info"]["first_seen_time"] = _ms(finding.first_seen)
        out["finding_info"]["last_seen_time"] = _ms(finding.last_seen)
    if finding.suppression is not None:
        out["unmapped"]["suppression"] = suppression_record(finding.suppression)
    if finding.remediation:
        out["remediation"] = {"desc": finding.remediation, "references": list(finding.references)}
    return out


def render(report: ScanReport, stream: TextIO, *, now: datetime | None = None) -> None:
    time_ms = int((now or datetime.now(UTC)).timestamp() * 1000)
    rationale = {c.id: c.rationale for c in report.checks}
    scopes = {(s.provider, s.account): s for s in report.scopes}
    for finding in report.findings:
        r = finding.resource
        record = event(
            finding,
            time_ms=time_ms,
            rationale=rationale.get(finding.check_id, ""),
            scope=scopes.get((r.provider, r.account)),
        )
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
