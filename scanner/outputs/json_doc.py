"""``json``: one document with scopes, gaps, the control summary and every finding."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any, TextIO

from scanner import __version__
from scanner.engine import ScanReport
from scanner.outputs.records import (
    control_record,
    finding_record,
    jsonable,
    suppression_record,
)

SCHEMA = "cldscan.findings"
SCHEMA_VERSION = "1.1"


def document(report: ScanReport, *, now: datetime | None = None) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "cldscan", "version": __version__},
        "generated_at": (now or datetime.now(UTC)).isoformat(),
        "scopes": [jsonable(s) for s in report.scopes],
        "gaps": [jsonable(g) for g in report.gaps],
        "controls": [control_record(s) for s in report.control_summaries()],
        "counts": counts(report),
        "suppressions": {
            "expired": [suppression_record(m) for m in report.expired_suppressions],
            "unused": [suppression_record(m) for m in report.unused_suppressions],
        },
        "findings": [finding_record(f) for f in report.findings],
    }


def counts(report: ScanReport) -> dict[str, int]:
    """Findings in this document by status, suppression and lifecycle."""
    found = Counter(f.status.value for f in report.findings)
    found.update(f"lifecycle_{f.lifecycle.value}" for f in report.findings if f.lifecycle)
    return {
        "findings": len(report.findings),
        "pass": found["PASS"],
        "fail": found["FAIL"],
        "error": found["ERROR"],
        "suppressed": sum(f.suppressed for f in report.findings),
        "new": found["lifecycle_new"],
        "open": found["lifecycle_open"],
        "resolved": found["lifecycle_resolved"],
    }


def render(report: ScanReport, stream: TextIO) -> None:
    json.dump(document(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
