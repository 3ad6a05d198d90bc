"""Benchmark a full GCP collect + evaluate on a synthetic organisation served by the fake.

    python -m benchmarks.run --provider gcp [--sizes 100,1000,5000]

For each size N the fake Google API server (fixtures.gcp.fake_google) serves an
organisation of max(1, N // 100) projects with 100 instances each (or N for one project),
spread over four zones, plus each project's network, firewalls, service account, IAM
policy and sink. The scan discovers the projects through Resource Manager and runs in a
child interpreter (``python -m benchmarks.child gcp``) pointed at the fake only through
the environment (key file + ``CLDSCAN_GCP_API_ENDPOINT``); it reports its own peak RSS
and CPU. API requests come from the fake's request log.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import Row, run_child, table
from fixtures.gcp.credentials import GCP_UNSET, fake_env, write_key_file
from fixtures.gcp.fake_google import running
from fixtures.gcp.scenarios import ORG, build_synthetic_projects

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
        organization = ORG.removeprefix("organizations/")
        wall, result = run_child(["gcp", organization, str(PAGE_SIZE)], env)
        requests = len(fake.requests())
    return Row(
        f"{size} instances / {count} project{'s' if count > 1 else ''}",
        built,
        wall,
        requests,
        result["peak_rss_mb"],
        result["cpu_s"],
        result["findings"],
    )


def main(sizes: list[int]) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="cldscan-bench-gcp-") as tmp:
        for size in sizes:
            rows.append(bench_size(size, Path(tmp)))
            print(f"done: {size} instances", file=sys.stderr, flush=True)
    print(table(rows, f"GCP, fake Google APIs, page size {PAGE_SIZE}", "organisation"))
