"""``jsonl``: one native finding record per line."""

from __future__ import annotations

import json
from typing import TextIO

from scanner.engine import ScanReport
from scanner.outputs.records import finding_record


def render(report: ScanReport, stream: TextIO) -> None:
    for finding in report.findings:
        stream.write(json.dumps(finding_record(finding), ensure_ascii=False) + "\n")
