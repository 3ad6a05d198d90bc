"""One measured run in a fresh interpreter; prints a JSON line with its own peak RSS.

``python -m benchmarks.child scan REGION...``: the real AWS provider's collect, then
evaluate with every registered check (the environment points boto3 at the server).
``python -m benchmarks.child demo``: ``cldscan demo --format json`` to /dev/null.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any


def _scan(regions: list[str]) -> dict[str, Any]:
    from providers.aws import AwsOptions, collect
    from scanner.engine import evaluate
    from scanner.registry import load_checks

    inv = collect(AwsOptions(regions=tuple(regions)), None)
    report = evaluate(inv, list(load_checks().values()))
    return {"entities": len(inv.entities), "gaps": len(inv.gaps), "findings": len(report.findings)}


def _demo() -> dict[str, Any]:
    from scanner.cli import main

    sys.argv = ["cldscan", "demo", "--format", "json", "--output", os.devnull]
    try:
        main()
    except SystemExit as done:
        return {"exit": done.code}
    return {"exit": 0}


def run(argv: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    result = _scan(argv[1:]) if argv[0] == "scan" else _demo()
    result["inner_wall_s"] = round(time.perf_counter() - started, 3)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    return result


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1:])), flush=True)
