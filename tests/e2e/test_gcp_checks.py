"""Every GCP check end to end: ``cldscan scan gcp`` against the fake Google APIs.

The good project PASSes every GCP check, the bad one FAILs each; a denied (or disabled)
API in the good project turns the checks that need it into ERROR there, with no PASS left,
while the bad project is evaluated as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from fixtures.gcp.credentials import GCP_UNSET, fake_env, write_key_file
from fixtures.gcp.fake_google import FakeGoogle, running
from fixtures.gcp.scenarios import build_bad_project, build_good_project
from scanner.registry import load_checks
from tests.e2e.support import Run, by_check, run_cldscan, summary

GOOD, BAD = "acme-good", "acme-bad"
GCP_CHECKS = sorted(k for k, c in load_checks(plugins=False).items() if "gcp" in c.providers)


@dataclass(frozen=True)
class Denial:
    pattern: str
    """Regex on the request path the fake refuses (for the good project only)."""
    operation: str
    """The gap's operation, which the ERROR message names."""
    reason: str = "forbidden"


INSTANCES = Denial(r"/aggregated/instances", "compute.instances.list")
FIREWALLS = Denial(r"/global/firewalls", "compute.firewalls.list")
NETWORKS = Denial(r"/global/networks", "compute.networks.list")
IAM_POLICY = Denial(r"^/v3/projects/[^/]+:getIamPolicy", "resourcemanager.projects.getIamPolicy")
ALERTS = Denial(r"/alertPolicies", "monitoring.alertPolicies.list")
DENIALS: dict[str, Denial] = {
    "any.firewall.world_ingress_all_ports": FIREWALLS,
    "any.firewall.world_ingress_admin_port": FIREWALLS,
    "any.network.default_constructs_restricted": NETWORKS,
    "any.network.cross_tenant_link": NETWORKS,
    "any.image.publicly_shared": Denial(r"/global/images", "compute.images.list"),
    "any.compute.public_ip_attached": INSTANCES,
    "any.compute.boot_integrity": INSTANCES,
    "any.disk.encrypted": Denial(r"/aggregated/disks", "compute.disks.list"),
    "any.compute.login_hardened": INSTANCES,
    "any.compute.identity_least_privilege": IAM_POLICY,
    "any.rolebinding.standing_admin": IAM_POLICY,
    "any.credential.old_or_unused": Denial(r"/serviceAccounts", "iam.serviceAccounts.list"),
    "any.alert.privileged_or_auth_event": ALERTS,
    "any.alert.network_change": ALERTS,
    "any.audit_trail.complete": Denial(r"/sinks", "logging.sinks.list"),
    "any.network.flow_logs_enabled": Denial(r"/aggregated/subnetworks", "compute.subnetworks.list"),
    "any.compute.ip_forwarding_disabled": INSTANCES,
}
COMPUTE_DISABLED = Denial(r"^/compute/v1/", "compute.", reason="SERVICE_DISABLED")


@dataclass
class Fake:
    server: FakeGoogle
    env: dict[str, str]
    scans: dict[Denial | None, Run]

    def scan(self, denial: Denial | None = None) -> Run:
        if denial not in self.scans:
            self.server.clear()
            if denial is not None:
                self.server.fail(denial.pattern, project=GOOD, reason=denial.reason)
            try:
                run = run_cldscan(
                    ["scan", "gcp", "--project", GOOD, "--project", BAD, "--format", "json"],
                    self.env,
                )
            finally:
                self.server.clear()
            assert "Traceback" not in run.stderr, run.describe()
            assert run.code in (3, 4), run.describe()
            self.scans[denial] = run
        return self.scans[denial]


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fake]:
    with running([build_good_project(), build_bad_project()], page_size=None) as server:
        key = write_key_file(tmp_path_factory.mktemp("gcp-key"), f"{server.base}/token")
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "CLDSCAN_", "GOOGLE_")) and k not in GCP_UNSET
        }
        yield Fake(server, {**base, **fake_env(server.base, key)}, {})


def mine(run: Run, check_id: str, project: str) -> list[Mapping[str, Any]]:
    return [f for f in by_check(run.findings, check_id) if f["resource"]["account"] == project]


def _key(finding: Mapping[str, Any]) -> tuple[str, str, str]:
    return (finding["check_id"], finding["resource"]["id"], finding["status"])


def test_every_gcp_check_has_a_denial() -> None:
    assert sorted(DENIALS) == GCP_CHECKS


@pytest.mark.parametrize("check_id", GCP_CHECKS)
def test_good_project_passes(fake: Fake, check_id: str) -> None:
    found = mine(fake.scan(), check_id, GOOD)
    assert found, f"{check_id}: nothing said about {GOOD}"
    assert {f["status"] for f in found} == {"PASS"}, summary(found)


@pytest.mark.parametrize("check_id", GCP_CHECKS)
def test_bad_project_fails(fake: Fake, check_id: str) -> None:
    found = mine(fake.scan(), check_id, BAD)
    assert "FAIL" in {f["status"] for f in found}, summary(found)
    assert "ERROR" not in {f["status"] for f in found}, summary(found)


def test_findings_carry_gcloud_remediation_and_gcp_ids(fake: Fake) -> None:
    for finding in fake.scan().findings:
        assert "gcloud" in finding["remediation"], finding["check_id"]
        assert finding["resource"]["provider"] == "gcp"


@pytest.mark.parametrize("check_id", GCP_CHECKS)
def test_denied_api_is_error_in_that_project_only(fake: Fake, check_id: str) -> None:
    denial = DENIALS[check_id]
    run = fake.scan(denial)
    good = mine(run, check_id, GOOD)
    errors = [f for f in good if f["status"] == "ERROR"]
    assert any(denial.operation in f["message"] for f in errors), summary(good)
    assert all("access_denied" in f["message"] for f in errors), summary(errors)
    assert not [f for f in good if f["status"] == "PASS"], summary(good)
    baseline = {_key(f) for f in mine(fake.scan(), check_id, BAD)}
    assert {_key(f) for f in mine(run, check_id, BAD)} == baseline


def test_disabled_compute_api_leaves_the_other_project_evaluated(fake: Fake) -> None:
    run = fake.scan(COMPUTE_DISABLED)
    compute = [
        "any.compute.boot_integrity",
        "any.disk.encrypted",
        "any.firewall.world_ingress_all_ports",
        "any.network.flow_logs_enabled",
    ]
    for check_id in compute:
        good = mine(run, check_id, GOOD)
        assert good and {f["status"] for f in good} == {"ERROR"}, summary(good)
        assert any("not_enabled" in f["message"] for f in good), summary(good)
        assert "FAIL" in {f["status"] for f in mine(run, check_id, BAD)}
    iam = mine(run, "any.rolebinding.standing_admin", GOOD)
    assert iam and {f["status"] for f in iam} == {"PASS"}, summary(iam)


def test_scan_sent_only_reads(fake: Fake) -> None:
    fake.server.clear()
    run_cldscan(["scan", "gcp", "--project", GOOD, "--format", "json"], fake.env)
    sent = fake.server.requests()
    assert sent
    assert not [r for r in sent if r.mutating], [r.path for r in sent if r.mutating]
