"""Every check with an Azure instance, end to end through the fake ARM server: PASS in the
good subscription, FAIL in the bad one, ERROR (and no PASS) when the fake denies the read it
needs, while the other subscription stays evaluated."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from fixtures.azure.fake_arm import FakeArm, deny
from fixtures.azure.scenarios import BAD_SUB, GOOD_SUB, good_and_bad
from providers.azure import AzureOptions, collect
from scanner.engine import evaluate
from scanner.environ import patched_environment
from scanner.registry import load_checks
from scanner.results import Finding, Status
from tests.e2e.support import Run, by_check, run_cldscan, statuses, summary

CHECKS = load_checks(plugins=False)
AZURE_CHECKS = sorted(k for k, c in CHECKS.items() if "azure" in c.providers)

DENIED_READ = {
    "any.firewall.world_ingress_all_ports": "/microsoft.network/networksecuritygroups",
    "any.firewall.world_ingress_admin_port": "/microsoft.network/networksecuritygroups",
    "any.network.cross_tenant_link": "/microsoft.network/virtualnetworks",
    "any.image.publicly_shared": "/microsoft.compute/disks",
    "any.compute.public_ip_attached": "/microsoft.compute/virtualmachines",
    "any.compute.boot_integrity": "/microsoft.compute/virtualmachines",
    "any.disk.encrypted": "/microsoft.compute/disks",
    "any.compute.login_hardened": "/microsoft.compute/virtualmachines",
    "any.compute.identity_least_privilege": "/microsoft.authorization/roleassignments",
    "any.rolebinding.standing_admin": "/microsoft.authorization/roledefinitions",
    "any.alert.privileged_or_auth_event": "/microsoft.insights/activitylogalerts",
    "any.alert.network_change": "/microsoft.insights/activitylogalerts",
    "any.audit_trail.complete": "/microsoft.insights/diagnosticsettings",
    "any.detector.threat_detection": "/microsoft.security/pricings",
    "any.network.flow_logs_enabled": "/microsoft.network/networkwatchers",
    "any.subnet.filtering_attached": "/microsoft.network/virtualnetworks",
    "any.compute.ip_forwarding_disabled": "/microsoft.compute/virtualmachines",
    "any.audit_trail.tamper_resistant": "/microsoft.storage/storageaccounts",
    "any.config_history.recording": "/microsoft.authorization/policyassignments",
}
"""The ARM read (a path pattern the fake denies) each check depends on."""


@dataclass
class Azure:
    fake: FakeArm
    env: dict[str, str]
    denied: dict[str, list[Finding]] = field(default_factory=dict)

    def findings_when_denied(self, pattern: str) -> list[Finding]:
        """Every Azure check's findings with ``pattern`` denied in the good subscription."""
        if pattern not in self.denied:
            self.fake.faults.clear()
            self.fake.faults.append(deny(pattern, GOOD_SUB))
            try:
                with patched_environment(self.env):
                    inv = collect(AzureOptions(max_retries=0))
            finally:
                self.fake.faults.clear()
            checks = [CHECKS[c] for c in AZURE_CHECKS]
            self.denied[pattern] = list(evaluate(inv, checks).findings)
        return self.denied[pattern]


@pytest.fixture(scope="module")
def azure() -> Iterator[Azure]:
    with FakeArm(good_and_bad(), page_size=2) as fake:
        base = {
            k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLDSCAN_", "AWS_"))
        }
        yield Azure(fake, {**base, **fake.env()})


@pytest.fixture(scope="module")
def scan(azure: Azure) -> Run:
    azure.fake.faults.clear()
    return run_cldscan(
        ["scan", "azure", "--format", "json", "--fail-on", "low", "--max-retries", "0"],
        azure.env,
    )


def in_sub(findings: list[dict[str, object]], sub: str) -> list[dict[str, object]]:
    return [f for f in findings if f["resource"]["account"] == sub]  # type: ignore[index]


def test_every_azure_check_has_a_denied_read() -> None:
    assert sorted(DENIED_READ) == AZURE_CHECKS


def test_scan_covers_both_subscriptions_and_fails_on_the_bad_one(scan: Run) -> None:
    assert scan.code == 3, scan.describe()
    accounts = {f["resource"]["account"] for f in scan.findings}
    assert accounts == {GOOD_SUB, BAD_SUB}
    errors = [f for f in scan.findings if f["status"] == "ERROR"]
    assert not errors, summary(errors)


@pytest.mark.parametrize("check_id", AZURE_CHECKS)
def test_good_subscription_passes(scan: Run, check_id: str) -> None:
    mine = by_check(in_sub(scan.findings, GOOD_SUB), check_id)
    assert statuses(mine) == {"PASS"}, f"{check_id} on the good subscription:\n{summary(mine)}"
    assert all("az " in f["remediation"] for f in mine), check_id


@pytest.mark.parametrize("check_id", AZURE_CHECKS)
def test_bad_subscription_fails(scan: Run, check_id: str) -> None:
    mine = by_check(in_sub(scan.findings, BAD_SUB), check_id)
    assert "FAIL" in statuses(mine), f"{check_id}: no FAIL on the bad subscription\n{summary(mine)}"


def test_bad_subscription_findings_name_the_broken_things(scan: Run) -> None:
    bad = in_sub(scan.findings, BAD_SUB)
    failing = {
        (f["check_id"], str(f["resource"]["id"]).rsplit("/", 1)[-1])  # type: ignore[index]
        for f in bad
        if f["status"] == "FAIL"
    }
    for expected in [
        ("any.firewall.world_ingress_all_ports", "nsg-open"),
        ("any.compute.public_ip_attached", "vm-exposed"),
        ("any.compute.login_hardened", "vm-exposed"),
        ("any.disk.encrypted", "vm-legacy-osdisk"),
        ("any.image.publicly_shared", "snap-public"),
        ("any.subnet.filtering_attached", "workload"),
        ("any.network.flow_logs_enabled", f"azure:{BAD_SUB}:northeurope"),
        # A role-less system identity beside a user-assigned Owner identity.
        ("any.compute.identity_least_privilege", "vm-legacy"),
        # Role Based Access Control Administrator to a user at subscription scope.
        ("any.rolebinding.standing_admin", "b0000000-0000-4000-8000-000000000005"),
        # Platform key and public blob access on the activity log's storage account.
        ("any.audit_trail.tamper_resistant", "archive-public"),
        # The benchmark initiative assigned with DoNotEnforce.
        ("any.config_history.recording", BAD_SUB),
    ]:
        assert expected in failing, expected
    admin = [
        f for f in by_check(bad, "any.firewall.world_ingress_admin_port") if f["status"] == "FAIL"
    ]
    assert [f["severity"] for f in admin] == ["critical"], summary(admin)


@pytest.mark.parametrize("check_id", AZURE_CHECKS)
def test_denied_read_is_error_in_that_subscription_only(azure: Azure, check_id: str) -> None:
    findings = [
        f for f in azure.findings_when_denied(DENIED_READ[check_id]) if f.check_id == check_id
    ]
    good = [f for f in findings if f.resource.account == GOOD_SUB]
    assert Status.ERROR in {f.status for f in good}, [(f.status, f.message) for f in good]
    assert Status.PASS not in {f.status for f in good}
    assert any("access_denied" in f.message for f in good if f.status is Status.ERROR)
    bad = {f.status for f in findings if f.resource.account == BAD_SUB}
    assert Status.FAIL in bad and Status.ERROR not in bad


def test_alerts_narrower_than_the_subscription_do_not_count(scan: Run) -> None:
    bad = in_sub(scan.findings, BAD_SUB)
    for check_id, op, alert in [
        (
            "any.alert.privileged_or_auth_event",
            "Microsoft.Authorization/policyAssignments/delete",
            "alert-policy-delete-rg-only",
        ),
        (
            "any.alert.network_change",
            "Microsoft.Network/publicIPAddresses/write",
            "alert-pip-write-failed-only",
        ),
    ]:
        (finding,) = by_check(bad, check_id)
        evidence = finding["evidence"]
        assert op in evidence["missing"], summary([finding])
        narrowed = evidence["rules_not_subscription_wide"]
        assert any(r.endswith("/" + alert) for r in narrowed), narrowed


def test_log_storage_judged_only_where_the_activity_log_goes_to_storage(scan: Run) -> None:
    mine = by_check(scan.findings, "any.audit_trail.tamper_resistant")
    judged = {str(f["resource"]["id"]).rsplit("/", 1)[-1]: f["status"] for f in mine}  # type: ignore[index]
    # admin-only exports to a Log Analytics workspace only: not judged
    assert judged == {"activity-to-storage": "PASS", "archive-public": "FAIL"}, summary(mine)
    (bad,) = [f for f in mine if f["status"] == "FAIL"]
    assert "Microsoft-managed key" in str(bad["message"]) and "public" in str(bad["message"])


@pytest.mark.parametrize(
    ("denied", "sibling"),
    [
        ("any.detector.threat_detection", "any.config_history.recording"),
        ("any.detector.threat_detection", "any.network.flow_logs_enabled"),
        ("any.config_history.recording", "any.detector.threat_detection"),
        ("any.network.flow_logs_enabled", "any.detector.threat_detection"),
    ],
)
def test_denied_security_service_leaves_sibling_services_evaluated(
    azure: Azure, denied: str, sibling: str
) -> None:
    """Defender plans, network watchers and policy assignments are all SecurityService, but
    their gaps carry qualified kinds: one denied read does not ERROR the others' checks."""
    findings = azure.findings_when_denied(DENIED_READ[denied])
    good = [f for f in findings if f.check_id == sibling and f.resource.account == GOOD_SUB]
    assert good and {f.status for f in good} == {Status.PASS}, [(f.status, f.message) for f in good]
