"""Benchmark a full AWS collect + evaluate on synthetic moto accounts, and the demo.

    python -m benchmarks.run [--sizes 100,1000,5000] [--regions us-east-1,eu-west-1,...]
    python -m benchmarks.run --provider azure [--sizes 100,1000,5000]   (benchmarks/azure.py)
    python -m benchmarks.run --provider gcp [--sizes 100,1000,5000]     (benchmarks/gcp.py)

For each size a fresh harness server (``tests.harness.client.moto_server``) is
seeded with ``build_synthetic_account``; the scan runs in a child interpreter
(``benchmarks.child``) that reports its own peak RSS; API requests come from the
harness request log. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixtures.aws import Seeder, build_synthetic_account
from tests.e2e.support import user_env
from tests.harness.client import REPO, moto_server

DEFAULT_REGIONS = ("us-east-1", "eu-west-1", "us-west-2")


@dataclass(frozen=True)
class Row:
    label: str
    seed_s: float | None
    wall_s: float
    requests: int | None
    rss_mb: float
    cpu_s: float
    findings: int | str


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Run ``benchmarks.child`` with ``args``: its wall time and the JSON it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"benchmark child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def bench_size(size: int, regions: tuple[str, ...], workdir: Path) -> Row:
    with moto_server() as harness:
        started = time.perf_counter()
        build_synthetic_account(Seeder.for_endpoint(harness.url), size, regions)
        seeded = time.perf_counter() - started
        harness.reset_log()
        env = user_env(harness, workdir / f"aws-config-{size}")
        wall, result = run_child(["scan", *regions], env)
        requests = len(harness.requests())
    return Row(
        f"{size} instances",
        seeded,
        wall,
        requests,
        result["peak_rss_mb"],
        result["cpu_s"],
        result["findings"],
    )


def bench_demo() -> Row:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    wall, result = run_child(["demo"], env)
    return Row(
        "demo", None, wall, None, result["peak_rss_mb"], result["cpu_s"], f"exit {result['exit']}"
    )


def table(rows: list[Row], caption: str, first_column: str = "run") -> str:
    lines = [
        f"{caption}; {os.cpu_count()} CPUs.",
        "",
        f"| {first_column} | seed (s) | scan wall (s) | scanner CPU (s) | API requests "
        "| peak RSS (MB) | findings |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        seed = f"{r.seed_s:.1f}" if r.seed_s is not None else "-"
        requests = str(r.requests) if r.requests is not None else "-"
        lines.append(
            f"| {r.label} | {seed} | {r.wall_s:.2f} | {r.cpu_s:.2f} | {requests} "
            f"| {r.rss_mb:.0f} | {r.findings} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="cldscan scan benchmarks against moto")
    parser.add_argument("--sizes", default="100,1000", help="instance counts, comma-separated")
    parser.add_argument("--regions", default=",".join(DEFAULT_REGIONS))
    parser.add_argument("--no-demo", action="store_true", help="skip the demo benchmark")
    parser.add_argument(
        "--provider", choices=("aws", "azure", "gcp"), default="aws", help="cloud to benchmark"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.provider == "azure":
        from benchmarks.azure import main as azure_main

        azure_main(sizes)
        return
    if args.provider == "gcp":
        from benchmarks.gcp import main as gcp_main

        gcp_main(sizes)
        return
    regions = tuple(r.strip() for r in args.regions.split(",") if r.strip())
    rows = []
    with tempfile.TemporaryDirectory(prefix="cldscan-bench-") as tmp:
        for size in sizes:
            rows.append(bench_size(size, regions, Path(tmp)))
            print(f"done: {size} instances", file=sys.stderr, flush=True)
    if not args.no_demo:
        rows.append(bench_demo())
    print(table(rows, f"Regions: {', '.join(regions)}"))


if __name__ == "__main__":
    main()
