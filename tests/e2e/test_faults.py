"""Faults a user meets: each gives the documented exit status, a clear stderr line and
no traceback, and whatever could be collected is still reported."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import ExitCode
from tests.e2e.conftest import Account
from tests.e2e.support import HOME, OTHER, Run, by_check, run_cldscan, scan_args, summary

pytestmark = pytest.mark.moto


def _key(finding: Mapping[str, Any]) -> tuple[str, str, str]:
    return (finding["check_id"], finding["resource"]["id"], finding["status"])


def _one_error_line(run: Run, *needles: str) -> str:
    assert "Traceback" not in run.stderr, run.describe()
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr\n{run.describe()}"
    assert lines[0].startswith("cldscan: error: "), run.describe()
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def _incomplete(run: Run, operation: str) -> None:
    """Exit 4, no traceback, and stderr says which operation left the scan incomplete."""
    assert run.code == ExitCode.INCOMPLETE, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    assert any(operation in line for line in run.stderr.splitlines()), (
        f"stderr does not say that {operation} failed\n{run.describe()}"
    )


def _requests(account: Account, action: str, region: str) -> list[dict[str, Any]]:
    return [r for r in account.harness.requests() if (r["action"], r["region"]) == (action, region)]


def test_access_denied_on_one_service_in_one_region(good: Account, good_scan: Run) -> None:
    good.harness.set_faults(
        [{"service": "ec2", "region": OTHER, "status": 403, "code": "UnauthorizedOperation"}]
    )
    run = run_cldscan(scan_args(fail_on="low"), good.env)
    _incomplete(run, "ec2:")
    findings = run.findings
    errors = [f for f in findings if f["status"] == "ERROR"]
    assert errors, summary(findings)
    assert {f["resource"]["region"] for f in errors} == {OTHER}, summary(errors)
    kept = {_key(f) for f in good_scan.findings if f["resource"]["region"] != OTHER}
    lost = kept - {_key(f) for f in findings}
    assert not lost, f"findings outside {OTHER} were lost: {sorted(lost)}"
    assert not [f for f in findings if f["status"] == "FAIL"], summary(findings)


def test_throttling_that_outlives_retries(good: Account) -> None:
    """Two attempts in all (``--max-attempts``), then a throttled gap for that region."""
    good.harness.set_faults(
        [
            {
                "action": "DescribeVolumes",
                "region": HOME,
                "status": 503,
                "code": "RequestLimitExceeded",
                "message": "Request limit exceeded.",
            }
        ]
    )
    quick = ("--connect-timeout", "2", "--read-timeout", "2", "--max-attempts", "2")
    run = run_cldscan(scan_args(*quick, fail_on="low"), good.env)
    _incomplete(run, "DescribeVolumes")
    attempts = _requests(good, "DescribeVolumes", HOME)
    assert len(attempts) >= 2, f"DescribeVolumes was not retried: {attempts}"
    assert len(attempts) == 2, f"--max-attempts 2 made {len(attempts)} attempts"
    disks = by_check(run.findings, "any.disk.encrypted")
    home_errors = [f for f in disks if f["status"] == "ERROR" and f["resource"]["region"] == HOME]
    assert home_errors and "throttled" in home_errors[0]["message"], summary(disks)
    assert any(f["status"] == "PASS" and f["resource"]["region"] == OTHER for f in disks), (
        "partial results (the other region's disks) were not kept\n" + summary(disks)
    )


def test_timeout(good: Account) -> None:
    """A response slower than ``--read-timeout`` on every attempt is a timed_out gap."""
    good.harness.set_faults([{"action": "DescribeFlowLogs", "region": HOME, "delay": 3}])
    quick = ("--connect-timeout", "2", "--read-timeout", "1", "--max-attempts", "2")
    run = run_cldscan(scan_args(*quick, fail_on="low"), good.env)
    _incomplete(run, "DescribeFlowLogs")
    attempts = _requests(good, "DescribeFlowLogs", HOME)
    assert len(attempts) == 2, f"--max-attempts 2 made {len(attempts)} attempts"
    flows = by_check(run.findings, "any.network.flow_logs_enabled")
    home_errors = [f for f in flows if f["status"] == "ERROR" and f["resource"]["region"] == HOME]
    assert home_errors and "timed_out" in home_errors[0]["message"], summary(flows)
    assert any(f["status"] == "PASS" and f["resource"]["region"] == OTHER for f in flows), summary(
        flows
    )


def test_collect_with_gaps_writes_the_snapshot_and_evaluate_reports_them(
    good: Account, tmp_path: Path
) -> None:
    good.harness.set_faults([{"action": "ListDetectors", "region": OTHER, "status": 403}])
    snapshot = tmp_path / "evidence.json"
    collected = run_cldscan(
        ["collect", "aws", "--region", HOME, "--region", OTHER, "-o", str(snapshot)], good.env
    )
    assert collected.code == ExitCode.INCOMPLETE, collected.describe()
    assert snapshot.is_file(), collected.describe()
    good.harness.clear_faults()
    evaluated = run_cldscan(["evaluate", str(snapshot), "--format", "json"], good.env)
    assert evaluated.code == ExitCode.INCOMPLETE, evaluated.describe()
    detectors = by_check(evaluated.findings, "any.detector.threat_detection")
    assert {(f["resource"]["region"], f["status"]) for f in detectors} == {
        (HOME, "PASS"),
        (OTHER, "ERROR"),
    }, summary(detectors)


def test_malformed_snapshot(tmp_path: Path, good: Account) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "cldscan.snapshot", "entities": [')
    run = run_cldscan(["evaluate", str(broken)], good.env)
    assert run.code == ExitCode.USAGE, run.describe()
    _one_error_line(run, "broken.json", "not valid JSON")
    assert run.stdout == ""


def test_snapshot_of_the_wrong_kind(tmp_path: Path, good: Account) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "something.else", "entities": []}))
    run = run_cldscan(["evaluate", str(other)], good.env)
    assert run.code == ExitCode.USAGE, run.describe()
    _one_error_line(run, "not a cldscan snapshot")


def test_unknown_region(good: Account) -> None:
    run = run_cldscan(scan_args(regions=[HOME, "mars-north-7"]), good.env)
    assert run.code == ExitCode.USAGE, run.describe()
    _one_error_line(run, "mars-north-7")
    assert run.stdout == ""


def test_no_credentials(good: Account) -> None:
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    env = {k: v for k, v in good.env.items() if k not in keys}
    run = run_cldscan(scan_args(regions=[HOME]), env)
    assert run.code == ExitCode.USAGE, run.describe()
    _one_error_line(run, "credentials")
    assert run.stdout == ""
    assert good.harness.requests() == [], "cldscan called AWS without credentials"
