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
)


def render(report: ScanReport, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in report.findings:
        r = f.resource
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
            )
        )
