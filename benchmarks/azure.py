"""Benchmark a full Azure collect + evaluate on synthetic subscriptions served by the fake ARM.

    python -m benchmarks.run --provider azure [--sizes 100,1000,5000]

For each size the fake ARM (fixtures.azure.fake_arm) serves ``synthetic(size)``: one
subscription with ``size`` Linux VMs, each with a NIC and a managed disk, plus the good
scenario's network, monitoring and identity resources. The scan runs in a child
interpreter (``python -m benchmarks.azure child``) pointed at the fake through the
environment only, which reports its own peak RSS and CPU; API requests come from the
fake's request log.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from benchmarks.run import Row
from fixtures.azure.fake_arm import FakeArm
from fixtures.azure.scenarios import synthetic
from tests.harness.client import REPO

PAGE_SIZE = 100
"""Items per ARM list page (ARM's own page sizes vary by resource type)."""


def bench_size(size: int) -> Row:
    started = time.perf_counter()
    scenario = synthetic(size)
    built = time.perf_counter() - started
    with FakeArm(scenario, page_size=PAGE_SIZE) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLDSCAN_"))}
        env.update(fake.env())
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.azure", "child"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        requests = len(fake.log())
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"benchmark child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Row(
        f"{size} VMs",
        built,
        wall,
        requests,
        result["peak_rss_mb"],
        result["cpu_s"],
        result["findings"],
    )


def table(rows: list[Row]) -> str:
    lines = [
        f"One synthetic subscription, ARM page size {PAGE_SIZE}; {os.cpu_count()} CPUs.",
        "",
        "| run | build scenario (s) | scan wall (s) | scanner CPU (s) | API requests "
        "| peak RSS (MB) | findings |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.seed_s or 0:.1f} | {r.wall_s:.2f} | {r.cpu_s:.2f} | {r.requests} "
            f"| {r.rss_mb:.0f} | {r.findings} |"
        )
    return "\n".join(lines)


def main(sizes: list[int]) -> None:
    rows = []
    for size in sizes:
        rows.append(bench_size(size))
        print(f"done: {size} VMs", file=sys.stderr, flush=True)
    print(table(rows))


def child() -> dict[str, Any]:
    """The measured run: the real Azure provider's collect, then every registered check."""
    from providers.azure import AzureOptions, collect
    from scanner.engine import evaluate
    from scanner.registry import load_checks

    started = time.perf_counter()
    inv = collect(AzureOptions(max_retries=0), None)
    report = evaluate(inv, list(load_checks().values()))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "entities": len(inv.entities),
        "gaps": len(inv.gaps),
        "findings": len(report.findings),
        "inner_wall_s": round(time.perf_counter() - started, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
    }


if __name__ == "__main__" and sys.argv[1:] == ["child"]:
    print(json.dumps(child()), flush=True)
