"""``json``: one document with scopes, gaps, the control summary and every finding."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TextIO

from scanner import __version__
from scanner.engine import ScanReport
from scanner.outputs.records import control_record, finding_record, jsonable

SCHEMA = "cldscan.findings"
SCHEMA_VERSION = "1.0"


def document(report: ScanReport, *, now: datetime | None = None) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "cldscan", "version": __version__},
        "generated_at": (now or datetime.now(UTC)).isoformat(),
        "scopes": [jsonable(s) for s in report.scopes],
        "gaps": [jsonable(g) for g in report.gaps],
        "controls": [control_record(s) for s in report.control_summaries()],
        "findings": [finding_record(f) for f in report.findings],
    }


def render(report: ScanReport, stream: TextIO) -> None:
    json.dump(document(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
