"""A full scan sends nothing but read operations."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Account
from tests.e2e.support import run_cldscan, scan_args

pytestmark = pytest.mark.moto

READ = re.compile(r"^(Describe|List|Get)[A-Z][A-Za-z0-9]*$")
ALSO_ALLOWED = {"GenerateCredentialReport", "GetCallerIdentity", "AssumeRole"}


def test_full_scan_only_reads(good: Account) -> None:
    run = run_cldscan(scan_args(), good.env)
    assert run.code == 0, run.describe()
    requests = good.harness.requests()
    assert requests, "the harness saw no requests: was the scan pointed elsewhere?"
    unnamed = [r for r in requests if not r["action"]]
    assert not unnamed, f"requests the harness could not name: {unnamed[:5]}"
    writes = sorted(
        {
            f"{r['service']}:{r['action']}"
            for r in requests
            if not READ.match(r["action"]) and r["action"] not in ALSO_ALLOWED
        }
    )
    assert not writes, f"the scan called non-read operations: {writes}"
    services = {r["service"] for r in requests}
    assert {"ec2", "iam", "cloudtrail", "logs", "guardduty", "config", "sts"} <= services, services
