"""Benchmark a full Azure collect + evaluate on synthetic subscriptions served by the fake ARM.

    python -m benchmarks.run --provider azure [--sizes 100,1000,5000]

For each size the fake ARM (fixtures.azure.fake_arm) serves ``synthetic(size)``: one
subscription with ``size`` Linux VMs, each with a NIC and a managed disk, plus the good
scenario's network, monitoring and identity resources. The scan runs in a child
interpreter (``python -m benchmarks.child azure``) pointed at the fake through the
environment only, which reports its own peak RSS and CPU; API requests come from the
fake's request log.
"""

from __future__ import annotations

import os
import sys
import time

from benchmarks.run import Row, run_child, table
from fixtures.azure.fake_arm import FakeArm
from fixtures.azure.scenarios import synthetic

PAGE_SIZE = 100
"""Items per ARM list page (ARM's own page sizes vary by resource type)."""


def bench_size(size: int) -> Row:
    started = time.perf_counter()
    scenario = synthetic(size)
    built = time.perf_counter() - started
    with FakeArm(scenario, page_size=PAGE_SIZE) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLDSCAN_"))}
        env.update(fake.env())
        wall, result = run_child(["azure"], env)
        requests = len(fake.log())
    return Row(
        f"{size} VMs",
        built,
        wall,
        requests,
        result["peak_rss_mb"],
        result["cpu_s"],
        result["findings"],
    )


def main(sizes: list[int]) -> None:
    rows = []
    for size in sizes:
        rows.append(bench_size(size))
        print(f"done: {size} VMs", file=sys.stderr, flush=True)
    print(table(rows, f"One synthetic subscription, ARM page size {PAGE_SIZE}"))
