"""One measured run in a fresh interpreter; prints a JSON line with its own peak RSS.

``python -m benchmarks.child scan REGION...``: the real AWS provider's collect, then
evaluate with every registered check (the environment points boto3 at the server).
``python -m benchmarks.child azure``: the same with the Azure provider (the environment
points it at the fake ARM).
``python -m benchmarks.child gcp ORGANIZATION PAGE_SIZE``: the same with the GCP provider,
discovering the organisation's projects (the environment points it at the fake).
``python -m benchmarks.child demo``: ``cldscan demo --format json`` to /dev/null.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.inventory import Inventory


def _evaluated(inv: Inventory) -> dict[str, Any]:
    from scanner.engine import evaluate
    from scanner.registry import load_checks

    report = evaluate(inv, list(load_checks().values()))
    return {"entities": len(inv.entities), "gaps": len(inv.gaps), "findings": len(report.findings)}


def _scan(regions: list[str]) -> dict[str, Any]:
    from providers.aws import AwsOptions, collect

    return _evaluated(collect(AwsOptions(regions=tuple(regions)), None))


def _scan_azure() -> dict[str, Any]:
    from providers.azure import AzureOptions, collect

    return _evaluated(collect(AzureOptions(max_retries=0), None))


def _scan_gcp(organization: str, page_size: str) -> dict[str, Any]:
    from providers.gcp import GcpOptions, collect

    options = GcpOptions(organization=organization, page_size=int(page_size))
    return _evaluated(collect(options, None))


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
    kind, args = argv[0], argv[1:]
    if kind == "scan":
        result = _scan(args)
    elif kind == "azure":
        result = _scan_azure()
    elif kind == "gcp":
        result = _scan_gcp(*args)
    else:
        result = _demo()
    result["inner_wall_s"] = round(time.perf_counter() - started, 3)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    return result


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1:])), flush=True)
