"""The good account passes every tier-1 AWS check; the bad account fails every one."""

from __future__ import annotations

import pytest

from scanner.registry import load_checks
from tests.e2e.support import TIER1_AWS_CHECKS, Run, by_check, statuses, summary

pytestmark = pytest.mark.moto


def test_every_tier1_check_is_registered_for_aws() -> None:
    checks = load_checks(plugins=False)
    missing = [c for c in TIER1_AWS_CHECKS if c not in checks]
    assert not missing, f"tier-1 checks not registered: {missing}"
    not_aws = [c for c in TIER1_AWS_CHECKS if "aws" not in checks[c].providers]
    assert not not_aws, f"tier-1 checks that do not run on AWS: {not_aws}"


def test_good_account_scan_is_complete(good_scan: Run) -> None:
    assert good_scan.code == 0, good_scan.describe()
    errors = [f for f in good_scan.findings if f["status"] == "ERROR"]
    assert not errors, "good account has unevaluated findings:\n" + summary(errors)


@pytest.mark.parametrize("check_id", TIER1_AWS_CHECKS)
def test_good_account_passes(good_scan: Run, check_id: str) -> None:
    mine = by_check(good_scan.findings, check_id)
    assert "PASS" in statuses(mine), f"{check_id}: no PASS\n{summary(mine)}"
    assert "FAIL" not in statuses(mine), f"{check_id} failed the good account:\n{summary(mine)}"


@pytest.mark.parametrize("check_id", TIER1_AWS_CHECKS)
def test_bad_account_fails(bad_scan: Run, check_id: str) -> None:
    assert bad_scan.code == 3, bad_scan.describe()
    mine = by_check(bad_scan.findings, check_id)
    assert "FAIL" in statuses(mine), f"{check_id}: no FAIL on the bad account\n{summary(mine)}"


def test_bad_account_control_summary_fails_everywhere(bad_scan: Run) -> None:
    verdicts = {c["id"]: c["verdict"] for c in bad_scan.document["controls"]}
    assert verdicts == dict.fromkeys(verdicts, "fail"), verdicts
