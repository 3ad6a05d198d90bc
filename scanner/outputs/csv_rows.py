"""``csv``: one row per finding, stable columns, evidence as a JSON string."""

from __future__ import annotations

import csv
import json
from typing import TextIO

from scanner.engine import ScanReport
from scanner.outputs.records import jsonable

COLUMNS = (
    "finding_id",
    "check_id",
    "title",
    "status",
    "severity",
    "controls",
    "provider",
    "account",
    "region",
    "resource_kind",
    "resource_id",
    "resource_name",
    "message",
    "evidence",
    "remediation",
    "references",
    "lifecycle",
    "first_seen",
    "last_seen",
    "suppressed",
    "suppression_reason",
    "suppression_owner",
    "suppression_expires",
)


def render(report: ScanReport, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in report.findings:
        r = f.resource
        mark = f.suppression
        writer.writerow(
            (
                f.finding_id,
                f.check_id,
                f.title,
                f.status.value,
                f.severity.value,
                ";".join(f.controls),
                r.provider,
                r.account,
                r.region,
                r.kind,
                r.id,
                r.name,
                f.message,
                json.dumps(jsonable(f.evidence), sort_keys=True, ensure_ascii=False),
                f.remediation,
                " ".join(f.references),
                f.lifecycle.value if f.lifecycle else "",
                f.first_seen.isoformat() if f.first_seen else "",
                f.last_seen.isoformat() if f.last_seen else "",
                "true" if mark else "false",
                mark.reason if mark else "",
                mark.owner if mark else "",
                mark.expires.isoformat() if mark and mark.expires else "",
            )
        )
