"""AccessDenied on what a check needs: ERROR for that scope, no PASS there, the rest intact.

One scan per distinct fault (checks that share an operation share the scan), against the
good account, where without faults every check PASSes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from scanner.inventory import GLOBAL, regions_overlap
from scanner.registry import load_checks
from tests.e2e.conftest import Account
from tests.e2e.support import (
    HOME,
    OTHER,
    TIER1_AWS_CHECKS,
    Run,
    by_check,
    run_cldscan,
    scan_args,
    summary,
)

pytestmark = pytest.mark.moto


@dataclass(frozen=True)
class Denial:
    action: str
    code: str
    kinds: tuple[str, ...]
    """Entity kinds the denied operation leaves unknown."""
    region: str = HOME
    """Where the fault applies; ``global`` for IAM (account-wide)."""

    def rule(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"action": self.action, "status": 403, "code": self.code}
        if self.region != GLOBAL:
            rule["region"] = self.region
        return rule


EC2_DENIED = "UnauthorizedOperation"
FIREWALLS = ("firewall_rule_set", "firewall_rule")
INSTANCES = Denial("DescribeInstances", EC2_DENIED, ("compute_instance",))
SECURITY_GROUPS = Denial("DescribeSecurityGroups", EC2_DENIED, FIREWALLS)
CREDENTIAL_REPORT = Denial(
    "GetCredentialReport", "AccessDenied", ("principal", "credential"), GLOBAL
)
AUTHORIZATION = Denial(
    "GetAccountAuthorizationDetails", "AccessDenied", ("principal", "role_binding"), GLOBAL
)
TRAILS = Denial("DescribeTrails", "AccessDeniedException", ("audit_trail",))

DENIALS: dict[str, Denial] = {
    "any.firewall.world_ingress_all_ports": SECURITY_GROUPS,
    "any.network.default_constructs_restricted": SECURITY_GROUPS,
    "any.network.cross_tenant_link": Denial(
        "DescribeVpcPeeringConnections", EC2_DENIED, ("network_peering",)
    ),
    "any.image.publicly_shared": Denial("DescribeImages", EC2_DENIED, ("machine_image",)),
    "any.compute.public_ip_attached": Denial("DescribeSubnets", EC2_DENIED, ("subnet",), OTHER),
    "any.firewall.world_ingress_admin_port": Denial("DescribeNetworkAcls", EC2_DENIED, FIREWALLS),
    "aws.ec2.imdsv2_required": INSTANCES,
    "any.compute.boot_integrity": INSTANCES,
    "any.disk.encrypted": Denial("DescribeVolumes", EC2_DENIED, ("disk",), OTHER),
    "any.compute.login_hardened": Denial(
        "GetSerialConsoleAccessStatus", EC2_DENIED, ("region_settings",)
    ),
    "any.compute.identity_least_privilege": AUTHORIZATION,
    "any.principal.privileged_mfa": CREDENTIAL_REPORT,
    "aws.iam.root_unused_no_keys": CREDENTIAL_REPORT,
    "any.rolebinding.standing_admin": AUTHORIZATION,
    "any.credential.old_or_unused": CREDENTIAL_REPORT,
    "any.alert.privileged_or_auth_event": Denial(
        "DescribeMetricFilters", "AccessDeniedException", ("alert_rule",)
    ),
    "any.audit_trail.complete": TRAILS,
    "any.audit_trail.tamper_resistant": Denial(
        "GetTrailStatus", "AccessDeniedException", ("audit_trail",)
    ),
    "any.detector.threat_detection": Denial(
        "ListDetectors", "AccessDeniedException", ("security_service:threat_detection",), OTHER
    ),
    "any.config_history.recording": Denial(
        "DescribeConfigurationRecorders",
        "AccessDeniedException",
        ("security_service:config_recorder",),
    ),
    "any.network.flow_logs_enabled": Denial(
        "DescribeFlowLogs", EC2_DENIED, ("flow_log_config",), OTHER
    ),
    "any.alert.network_change": Denial("DescribeAlarms", "AccessDenied", ("alert_rule",)),
    "any.subnet.filtering_attached": Denial(
        "DescribeNetworkInterfaces", EC2_DENIED, ("network_interface",)
    ),
    "any.compute.ip_forwarding_disabled": INSTANCES,
}

_scans: dict[Denial, Run] = {}


def _scan_with(account: Account, denial: Denial) -> Run:
    if denial not in _scans:
        account.harness.set_faults([denial.rule()])
        try:
            _scans[denial] = run_cldscan(scan_args(fail_on="low"), account.env)
        finally:
            account.harness.clear_faults()
    return _scans[denial]


def _key(finding: Mapping[str, Any]) -> tuple[str, str, str]:
    return (finding["check_id"], finding["resource"]["id"], finding["status"])


def test_every_tier1_check_has_a_denial() -> None:
    assert set(DENIALS) == set(TIER1_AWS_CHECKS)


@pytest.mark.parametrize("check_id", TIER1_AWS_CHECKS)
def test_denied_operation_gives_error_for_that_scope(
    good: Account, good_scan: Run, check_id: str
) -> None:
    denial = DENIALS[check_id]
    run = _scan_with(good, denial)
    assert run.code == 4, f"expected exit 4 (incomplete, nothing failing)\n{run.describe()}"
    assert "Traceback" not in run.stderr, run.describe()
    mine = by_check(run.findings, check_id)
    in_scope = [f for f in mine if regions_overlap(f["resource"]["region"], denial.region)]
    errors = [
        f for f in in_scope if f["status"] == "ERROR" and f["resource"]["region"] == denial.region
    ]
    assert errors, f"{check_id}: no ERROR for {denial.region} with {denial.action} denied\n" + (
        summary(mine)
    )
    assert any(denial.action in f["message"] for f in errors), summary(errors)
    passed = [f for f in in_scope if f["status"] == "PASS"]
    assert not passed, f"{check_id}: PASS where {denial.action} was denied\n{summary(passed)}"


@pytest.mark.parametrize("check_id", TIER1_AWS_CHECKS)
def test_denied_operation_leaves_everything_else_evaluated(
    good: Account, good_scan: Run, check_id: str
) -> None:
    denial = DENIALS[check_id]
    run = _scan_with(good, denial)
    checks = load_checks(plugins=False)

    def untouched(finding: Mapping[str, Any]) -> bool:
        needs = set(checks[finding["check_id"]].needed_kinds)
        region = finding["resource"]["region"]
        return not (needs & set(denial.kinds)) or not regions_overlap(region, denial.region)

    expected = {_key(f) for f in good_scan.findings if untouched(f)}
    seen = {_key(f) for f in run.findings}
    lost = sorted(expected - seen)
    assert expected, "the baseline scan has nothing outside the denied scope"
    assert not lost, f"findings lost outside the scope of the denied {denial.action}: {lost}"
