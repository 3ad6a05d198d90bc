"""The engine's gap rule: gaps become ERROR for exactly the scopes they affect."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from scanner.engine import evaluate, run_check
from scanner.inventory import (
    GLOBAL,
    Disk,
    Gap,
    GapReason,
    Inventory,
    Network,
    ScanScope,
)
from scanner.outputs.records import control_record
from scanner.registry import Check, CheckConfig
from scanner.results import Result, Severity, Status

ACCOUNT = "111122223333"
SCOPE = ScanScope(
    "aws", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", regions=("eu-west-1", "us-east-1")
)


def _disk(region: str, name: str, encrypted: bool) -> Disk:
    return Disk(
        id=f"arn:aws:ec2:{region}:{ACCOUNT}:volume/{name}",
        provider="aws",
        account=ACCOUNT,
        region=region,
        name=name,
        encrypted=encrypted,
    )


def _encrypted(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for disk in inv.of(Disk):
        if disk.encrypted:
            yield Result.passed(disk, f"{disk.name} is encrypted")
        else:
            yield Result.failed(disk, f"{disk.name} is not encrypted")


def _crashes(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    raise RuntimeError("boom")


def _make(func: object, needs: tuple[type, ...] = (Disk,)) -> Check:
    return Check(
        id="test.disk.encrypted",
        title="Disks are encrypted",
        severity=Severity.HIGH,
        controls=("CLD.9.5.2",),
        providers=("aws",),
        needs=needs,  # type: ignore[arg-type]
        rationale="r",
        remediation={"any": "encrypt"},
        references=(),
        func=func,  # type: ignore[arg-type]
    )


def _inventory(*gaps: Gap) -> Inventory:
    return Inventory(
        entities=(
            _disk("eu-west-1", "vol-a", True),
            _disk("us-east-1", "vol-b", True),
            _disk("us-east-1", "vol-c", False),
        ),
        gaps=gaps,
        scopes=(SCOPE,),
    )


def test_without_gaps_every_result_stands() -> None:
    results = run_check(_make(_encrypted), _inventory(), CheckConfig())
    assert sorted(r.status for r in results) == [Status.FAIL, Status.PASS, Status.PASS]


def test_gap_in_one_region_withdraws_pass_there_and_keeps_fail() -> None:
    gap = Gap(
        "aws", ACCOUNT, "us-east-1", "ec2:DescribeVolumes", ("disk",), GapReason.ACCESS_DENIED
    )
    results = run_check(_make(_encrypted), _inventory(gap), CheckConfig())
    by_region = {(r.resource.region, r.status) for r in results}
    assert ("eu-west-1", Status.PASS) in by_region
    assert ("us-east-1", Status.PASS) not in by_region
    assert ("us-east-1", Status.FAIL) in by_region
    errors = [r for r in results if r.status is Status.ERROR]
    assert len(errors) == 1
    assert errors[0].resource.region == "us-east-1"
    assert "access_denied" in errors[0].message


def test_gap_on_unrelated_kind_changes_nothing() -> None:
    gap = Gap("aws", ACCOUNT, "us-east-1", "ec2:DescribeVpcs", (Network.kind,), GapReason.THROTTLED)
    results = run_check(_make(_encrypted), _inventory(gap), CheckConfig())
    assert Status.ERROR not in {r.status for r in results}


def test_global_gap_affects_every_region() -> None:
    gap = Gap("aws", ACCOUNT, GLOBAL, "ec2:DescribeRegions", (), GapReason.TIMED_OUT)
    results = run_check(_make(_encrypted), _inventory(gap), CheckConfig())
    assert Status.PASS not in {r.status for r in results}
    [error] = [r for r in results if r.status is Status.ERROR]
    assert error.resource.kind == "scope"
    assert error.resource.id == f"scope:aws:{ACCOUNT}:global"
    assert error.resource.region == GLOBAL


def test_gap_in_other_account_does_not_leak() -> None:
    gap = Gap("aws", "999999999999", GLOBAL, "ec2:DescribeVolumes", ("disk",), GapReason.ERROR)
    results = run_check(_make(_encrypted), _inventory(gap), CheckConfig())
    mine = [r for r in results if r.resource.account == ACCOUNT]
    assert sorted(r.status for r in mine) == [Status.FAIL, Status.PASS, Status.PASS]
    [error] = [r for r in results if r.status is Status.ERROR]
    assert error.resource.account == "999999999999"


def test_scope_error_and_resource_fail_have_distinct_finding_ids() -> None:
    """A region's own settings can FAIL while a gap leaves the region incomplete."""
    gap = Gap("aws", ACCOUNT, "us-east-1", "ec2:DescribeVolumes", ("disk",), GapReason.THROTTLED)
    region_level = Disk(
        id=SCOPE.region_ref("us-east-1").id,
        provider="aws",
        account=ACCOUNT,
        region="us-east-1",
        encrypted=False,
    )
    inv = Inventory(entities=(region_level,), gaps=(gap,), scopes=(SCOPE,))
    report = evaluate(inv, [_make(_encrypted)])
    assert sorted(f.status for f in report.findings) == [Status.ERROR, Status.FAIL]
    assert len({f.finding_id for f in report.findings}) == 2


def test_crashing_check_reports_error_not_silence() -> None:
    results = run_check(_make(_crashes), _inventory(), CheckConfig())
    assert [r.status for r in results] == [Status.ERROR]
    assert "RuntimeError" in results[0].message


def test_evaluate_builds_findings_with_stable_ids_and_summary() -> None:
    check = _make(_encrypted)
    first = evaluate(_inventory(), [check])
    second = evaluate(_inventory(), [check])
    assert [f.finding_id for f in first.findings] == [f.finding_id for f in second.findings]
    assert len({f.finding_id for f in first.findings}) == 3
    summary = {s.control_id: s for s in first.control_summaries()}
    assert summary["CLD.9.5.2"].verdict == "fail"
    assert summary["CLD.9.5.2"].failed == 1
    assert summary["CLD.12.4.5"].verdict == "not_evaluated"
    assert first.failing(Severity.HIGH)
    assert not first.failing(Severity.CRITICAL)


def test_incomplete_control_when_only_errors_and_passes() -> None:
    gap = Gap(
        "aws", ACCOUNT, "us-east-1", "ec2:DescribeVolumes", ("disk",), GapReason.ACCESS_DENIED
    )
    inv = Inventory(entities=(_disk("eu-west-1", "vol-a", True),), gaps=(gap,), scopes=(SCOPE,))
    report = evaluate(inv, [_make(_encrypted)])
    summary = {s.control_id: s for s in report.control_summaries()}
    assert summary["CLD.9.5.2"].verdict == "incomplete"
    assert summary["CLD.9.5.2"].coverage == 0.5
    assert not report.complete


def test_checks_of_other_providers_do_not_run() -> None:
    inv = Inventory(scopes=(ScanScope("gcp", "proj", "projects/proj"),))
    report = evaluate(inv, [_make(_encrypted)])
    assert report.findings == ()
    assert report.checks == ()


def test_neutral_checks_without_an_instance_for_a_scanned_provider_are_named() -> None:
    neutral = dataclasses.replace(_make(_encrypted), id="any.disk.encrypted_test")
    specific = dataclasses.replace(_make(_encrypted), id="aws.ebs.encrypted_test")
    covering = dataclasses.replace(
        _make(_encrypted), id="any.disk.everywhere_test", providers=("aws", "gcp")
    )
    gcp = ScanScope("gcp", "proj", "projects/proj")
    inv = Inventory(entities=(_disk("eu-west-1", "vol-a", True),), scopes=(SCOPE, gcp))
    report = evaluate(inv, [neutral, specific, covering])
    summary = {s.control_id: s for s in report.control_summaries()}
    # The AWS-only neutral check does not cover GCP; a provider-specific one is not expected to.
    assert summary["CLD.9.5.2"].uncovered == (("gcp", "any.disk.encrypted_test"),)
    assert summary["CLD.9.5.1"].uncovered == ()
    assert control_record(summary["CLD.9.5.2"])["not_covered"] == {
        "gcp": ["any.disk.encrypted_test"]
    }
