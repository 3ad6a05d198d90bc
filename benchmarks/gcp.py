"""Benchmark a full GCP collect + evaluate on a synthetic organisation served by the fake.

    python -m benchmarks.run --provider gcp [--sizes 100,1000,5000]

For each size N the fake Google API server (fixtures.gcp.fake_google) serves an
organisation of max(1, N // 100) projects with 100 instances each (or N for one project),
spread over four zones, plus each project's network, firewalls, service account, IAM
policy and sink. The scan discovers the projects through Resource Manager and runs in a
child interpreter (``python -m benchmarks.gcp child``) pointed at the fake only through
the environment (key file + ``CLDSCAN_GCP_API_ENDPOINT``); it reports its own peak RSS
and CPU. API requests come from the fake's request log.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.run import Row
from fixtures.gcp.credentials import GCP_UNSET, fake_env, write_key_file
from fixtures.gcp.fake_google import running
from fixtures.gcp.scenarios import ORG, build_synthetic_projects
from tests.harness.client import REPO

PAGE_SIZE = 500
"""Items per list page: Compute's maximum ``maxResults``."""
PER_PROJECT = 100


def bench_size(size: int, workdir: Path) -> Row:
    started = time.perf_counter()
    count = max(1, size // PER_PROJECT)
    projects = build_synthetic_projects(projects=count, instances=min(size, PER_PROJECT))
    built = time.perf_counter() - started
    with running(projects, page_size=PAGE_SIZE) as fake:
        key = write_key_file(workdir, token_uri=f"{fake.base}/token")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GOOGLE_", "CLDSCAN_")) and k not in GCP_UNSET
        }
        env.update(fake_env(fake.base, key))
        env["NO_GCE_CHECK"] = "True"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.gcp", "child"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        requests = len(fake.requests())
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"benchmark child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Row(
        f"{size} instances / {count} project{'s' if count > 1 else ''}",
        built,
        wall,
        requests,
        result["peak_rss_mb"],
        result["cpu_s"],
        result["findings"],
    )


def child() -> dict[str, Any]:
    """Collect the organisation's projects and evaluate every check, in this interpreter."""
    from providers.gcp import GcpOptions, collect
    from scanner.engine import evaluate
    from scanner.registry import load_checks

    started = time.perf_counter()
    organization = ORG.removeprefix("organizations/")
    inv = collect(GcpOptions(organization=organization, page_size=PAGE_SIZE), None)
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


def table(rows: list[Row]) -> str:
    lines = [
        f"GCP, fake Google APIs, page size {PAGE_SIZE}; {os.cpu_count()} CPUs.",
        "",
        "| organisation | build (s) | scan wall (s) | scanner CPU (s) | API requests "
        "| peak RSS (MB) | findings |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.seed_s or 0:.1f} | {r.wall_s:.2f} | {r.cpu_s:.2f} "
            f"| {r.requests} | {r.rss_mb:.0f} | {r.findings} |"
        )
    return "\n".join(lines)


def main(sizes: list[int]) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="cldscan-bench-gcp-") as tmp:
        for size in sizes:
            rows.append(bench_size(size, Path(tmp)))
            print(f"done: {size} instances", file=sys.stderr, flush=True)
    print(table(rows))


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        print(json.dumps(child()), flush=True)
    else:
        main([int(s) for s in (sys.argv[1:] or ["100", "1000"])])
