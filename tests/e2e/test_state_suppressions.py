"""State and suppressions end to end: three scans of the seeded bad account on moto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.errors import ExitCode
from tests.e2e.conftest import Account
from tests.e2e.support import OTHER, run_cldscan, scan_args, summary

pytestmark = pytest.mark.moto

SUPPRESSIONS = """\
suppressions:
  - id: imds-accepted
    check: aws.ec2.imdsv2_required
    reason: legacy agent needs IMDSv1
    owner: ops@example.com
"""


def test_three_scans_new_then_unseen_kept_open_then_no_change(
    bad_account: Account, tmp_path: Path
) -> None:
    (tmp_path / "s.yaml").write_text(SUPPRESSIONS)
    extra = ("--state-dir", str(tmp_path / "state"), "--suppressions", str(tmp_path / "s.yaml"))
    bad_account.harness.clear_faults()

    first = run_cldscan(scan_args(*extra, fail_on="low"), bad_account.env)
    assert first.code == ExitCode.FAILED, first.describe()
    failing = [f for f in first.findings if f["status"] in ("FAIL", "ERROR")]
    assert failing and {f["lifecycle"] for f in failing} == {"new"}, summary(failing)
    suppressed = [f for f in first.findings if f["suppressed"]]
    assert suppressed, "the bad account has instances without IMDSv2"
    assert {f["suppression"]["entry"] for f in suppressed} == {"imds-accepted"}
    assert {f["check_id"] for f in suppressed} == {"aws.ec2.imdsv2_required"}
    in_other = {f["finding_id"] for f in failing if f["resource"]["region"] == OTHER}
    assert in_other

    # EC2 cannot be read in the other region: its findings stay open, never resolved
    bad_account.harness.set_faults(
        [{"service": "ec2", "region": OTHER, "status": 403, "code": "UnauthorizedOperation"}]
    )
    try:
        second = run_cldscan(scan_args(*extra, fail_on="low"), bad_account.env)
    finally:
        bad_account.harness.clear_faults()
    assert second.code == ExitCode.FAILED, second.describe()
    resolved = [f for f in second.findings if f["lifecycle"] == "resolved"]
    assert not [f for f in resolved if f["finding_id"] in in_other], summary(resolved)
    kept = {f["finding_id"]: f for f in second.findings if f["finding_id"] in in_other}
    assert {f["lifecycle"] for f in kept.values()} == {"open"}, summary(list(kept.values()))

    third = run_cldscan(scan_args(*extra, "--changes-only", fail_on="low"), bad_account.env)
    assert third.code == ExitCode.FAILED, third.describe()
    changes = json.loads(third.stdout)["findings"]
    assert not [f for f in changes if f["finding_id"] in in_other], summary(changes)
    assert not [f for f in changes if f["lifecycle"] == "new"], summary(changes)
