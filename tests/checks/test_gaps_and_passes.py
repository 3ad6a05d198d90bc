"""Every built-in check: a clean inventory PASSes; a gap on any kind it needs turns that
scope into ERROR with no PASS left."""

from __future__ import annotations

import pytest

from scanner.inventory import ScanScope
from scanner.registry import load_checks
from scanner.results import Status
from tests.checks.builders import OTHER_REGION, REGION, SCOPE, gap, run
from tests.checks.cases import PASSING

CHECKS = {k: v for k, v in load_checks(plugins=False).items() if k in PASSING}
BUILTIN = sorted(k for k in load_checks(plugins=False) if k.startswith(("any.", "aws.")))


def test_every_builtin_check_has_a_passing_case() -> None:
    assert sorted(PASSING) == BUILTIN


@pytest.mark.parametrize("check_id", sorted(PASSING))
def test_clean_inventory_passes(check_id: str) -> None:
    findings = run(check_id, *PASSING[check_id])
    assert findings, "a check must say something about a clean inventory"
    assert {f.status for f in findings} == {Status.PASS}, [f.message for f in findings]


@pytest.mark.parametrize(
    ("check_id", "kind"),
    [(cid, kind) for cid in sorted(CHECKS) for kind in CHECKS[cid].needed_kinds],
)
def test_gap_on_a_needed_kind_is_error_and_no_pass(check_id: str, kind: str) -> None:
    findings = run(check_id, *PASSING[check_id], gaps=(gap((kind,)),))
    assert Status.PASS not in {f.status for f in findings}
    errors = [f for f in findings if f.status is Status.ERROR]
    assert errors
    assert any("access_denied" in f.message for f in errors)


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_gap_on_an_unrelated_kind_changes_nothing(check_id: str) -> None:
    unrelated = "password_policy"
    assert unrelated not in CHECKS[check_id].needed_kinds
    findings = run(check_id, *PASSING[check_id], gaps=(gap((unrelated,)),))
    assert {f.status for f in findings} == {Status.PASS}


def test_regional_gap_spares_other_regions() -> None:
    two = ScanScope(SCOPE.provider, SCOPE.account, SCOPE.native_id, regions=(REGION, OTHER_REGION))
    findings = run(
        "any.detector.threat_detection",
        *PASSING["any.detector.threat_detection"],
        gaps=(gap(("security_service",), region=OTHER_REGION),),
        scopes=(two,),
    )
    by_region: dict[str, set[Status]] = {}
    for f in findings:
        by_region.setdefault(f.resource.region, set()).add(f.status)
    assert by_region == {REGION: {Status.PASS}, OTHER_REGION: {Status.ERROR}}


@pytest.mark.parametrize(
    "check_id",
    [
        "any.detector.threat_detection",
        "any.config_history.recording",
        "any.audit_trail.complete",
        "any.alert.privileged_or_auth_event",
        "any.alert.network_change",
        "any.network.flow_logs_enabled",
        "aws.iam.root_unused_no_keys",
    ],
)
def test_absence_behind_a_gap_is_error_not_fail(check_id: str) -> None:
    """Checks that FAIL when something is missing must not FAIL where a gap hid it."""
    keep = [e for e in PASSING[check_id] if e.kind not in CHECKS[check_id].needed_kinds[:1]]
    kinds = CHECKS[check_id].needed_kinds
    if check_id == "any.network.flow_logs_enabled":
        keep = [e for e in PASSING[check_id] if e.kind == "network"]
        kinds = ("flow_log_config",)
    findings = run(check_id, *keep, gaps=(gap(kinds),))
    assert {f.status for f in findings} == {Status.ERROR}, [f.message for f in findings]
