"""Every GCP check end to end: ``cldscan scan gcp`` against the fake Google APIs.

One scan of many projects: the good project PASSes every GCP check, the bad one FAILs
each, and in each copy of the good project one API is refused (or disabled): there the
checks that need it are ERROR with no PASS left, and the others still PASS.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from fixtures.gcp.credentials import GCP_UNSET, fake_env, write_key_file
from fixtures.gcp.fake_google import Request, running
from fixtures.gcp.scenarios import build_bad_project, build_good_project
from scanner.registry import load_checks
from tests.e2e.support import Run, by_check, run_cldscan, summary

GOOD, BAD = "acme-good", "acme-bad"
GCP_CHECKS = sorted(k for k, c in load_checks(plugins=False).items() if "gcp" in c.providers)


@dataclass(frozen=True)
class Denial:
    pattern: str
    """Regex on the request path the fake refuses (in one copy of the good project)."""
    operation: str
    """The gap's operation, which the ERROR message names."""
    kinds: tuple[str, ...] = ()
    """The entity kinds the gap leaves unknown."""
    reason: str = "forbidden"


INSTANCES = Denial(r"/aggregated/instances", "compute.instances.list", ("compute_instance",))
FIREWALLS = Denial(r"/global/firewalls", "compute.firewalls.list", ("firewall_rule",))
NETWORKS = Denial(
    r"/global/networks",
    "compute.networks.list",
    ("network", "network_peering", "firewall_rule_set", "firewall_rule"),
)
IAM_POLICY = Denial(
    r"^/v3/projects/[^/]+:getIamPolicy",
    "resourcemanager.projects.getIamPolicy",
    ("role_binding", "audit_trail", "principal"),
)
ALERTS = Denial(r"/alertPolicies", "monitoring.alertPolicies.list", ("alert_rule",))
DENIALS: dict[str, Denial] = {
    "any.firewall.world_ingress_all_ports": FIREWALLS,
    "any.firewall.world_ingress_admin_port": FIREWALLS,
    "any.network.default_constructs_restricted": NETWORKS,
    "any.network.cross_tenant_link": NETWORKS,
    "any.image.publicly_shared": Denial(
        r"/global/images", "compute.images.list", ("machine_image",)
    ),
    "any.compute.public_ip_attached": INSTANCES,
    "any.compute.boot_integrity": INSTANCES,
    "any.disk.encrypted": Denial(r"/aggregated/disks", "compute.disks.list", ("disk",)),
    "any.compute.login_hardened": INSTANCES,
    "any.compute.identity_least_privilege": IAM_POLICY,
    "any.rolebinding.standing_admin": IAM_POLICY,
    "any.credential.old_or_unused": Denial(
        r"/serviceAccounts", "iam.serviceAccounts.list", ("principal", "credential")
    ),
    "any.alert.privileged_or_auth_event": ALERTS,
    "any.alert.network_change": ALERTS,
    "any.audit_trail.complete": Denial(r"/sinks", "logging.sinks.list", ("audit_trail",)),
    "any.network.flow_logs_enabled": Denial(
        r"/aggregated/subnetworks", "compute.subnetworks.list", ("subnet", "flow_log_config")
    ),
    "any.compute.ip_forwarding_disabled": INSTANCES,
    "any.config_history.recording": Denial(
        r"/services/cloudasset\.googleapis\.com$",
        "serviceusage.services.get",
        ("security_service:asset_inventory",),
    ),
    "any.detector.threat_detection": Denial(
        r"/securityCenterServices/event-threat-detection$",
        "securitycentermanagement.securityCenterServices.get",
        ("security_service:threat_detection",),
    ),
    "any.audit_trail.tamper_resistant": Denial(
        r"^/storage/v1/b/", "storage.buckets.get", ("log_bucket",)
    ),
}
COMPUTE_DISABLED = Denial(r"^/compute/v1/", "compute.", reason="SERVICE_DISABLED")
SCC_DISABLED = Denial(
    r"/securityCenterServices/",
    "securitycentermanagement.securityCenterServices.get",
    reason="SERVICE_DISABLED",
)
FAULTS = sorted({*DENIALS.values(), COMPUTE_DISABLED, SCC_DISABLED}, key=lambda d: d.pattern)
"""One copy of the good project per fault, each refused only that API: one scan covers all."""


def copy_of_good(denial: Denial) -> str:
    return f"good-deny-{FAULTS.index(denial)}"


@dataclass(frozen=True)
class Scan:
    run: Run
    requests: list[Request]


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    copies = [
        build_good_project(copy_of_good(d), number=f"50000000000{i}") for i, d in enumerate(FAULTS)
    ]
    projects = [build_good_project(), build_bad_project(), *copies]
    with running(projects) as server:
        key = write_key_file(tmp_path_factory.mktemp("gcp-key"), f"{server.base}/token")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "CLDSCAN_", "GOOGLE_")) and k not in GCP_UNSET
        }
        for denial in FAULTS:
            server.fail(denial.pattern, project=copy_of_good(denial), reason=denial.reason)
        args = ["scan", "gcp", "--format", "json"]
        for project in projects:
            args += ["--project", project.project_id]
        run = run_cldscan(args, {**env, **fake_env(server.base, key)})
        assert "Traceback" not in run.stderr, run.describe()
        assert run.code == 3, run.describe()
        yield Scan(run, server.requests())


def mine(scan: Scan, check_id: str, project: str) -> list[Mapping[str, Any]]:
    found = by_check(scan.run.findings, check_id)
    return [f for f in found if f["resource"]["account"] == project]


def test_every_gcp_check_has_a_denial() -> None:
    assert sorted(DENIALS) == GCP_CHECKS


@pytest.mark.parametrize("check_id", GCP_CHECKS)
def test_good_project_passes(scan: Scan, check_id: str) -> None:
    found = mine(scan, check_id, GOOD)
    assert found, f"{check_id}: nothing said about {GOOD}"
    assert {f["status"] for f in found} == {"PASS"}, summary(found)


@pytest.mark.parametrize("check_id", GCP_CHECKS)
def test_bad_project_fails(scan: Scan, check_id: str) -> None:
    found = mine(scan, check_id, BAD)
    assert "FAIL" in {f["status"] for f in found}, summary(found)
    assert "ERROR" not in {f["status"] for f in found}, summary(found)


def test_findings_carry_gcloud_remediation_and_gcp_ids(scan: Scan) -> None:
    for finding in scan.run.findings:
        assert "gcloud" in finding["remediation"], finding["check_id"]
        assert finding["resource"]["provider"] == "gcp"


@pytest.mark.parametrize("check_id", GCP_CHECKS)
def test_denied_api_is_error_in_that_project(scan: Scan, check_id: str) -> None:
    denial = DENIALS[check_id]
    found = mine(scan, check_id, copy_of_good(denial))
    errors = [f for f in found if f["status"] == "ERROR"]
    assert any(denial.operation in f["message"] for f in errors), summary(found)
    assert all("access_denied" in f["message"] for f in errors), summary(errors)
    assert not [f for f in found if f["status"] == "PASS"], summary(found)


@pytest.mark.parametrize("check_id", GCP_CHECKS)
def test_checks_that_need_other_apis_still_pass_in_a_denied_project(
    scan: Scan, check_id: str
) -> None:
    """The fault leaves the checks that do not need the refused API evaluated."""
    needs = set(load_checks(plugins=False)[check_id].needed_kinds)
    for denial in DENIALS.values():
        if needs & set(denial.kinds) or denial == DENIALS[check_id]:
            continue
        found = mine(scan, check_id, copy_of_good(denial))
        assert found and {f["status"] for f in found} == {"PASS"}, (denial, summary(found))


def test_disabled_compute_api_is_not_enabled_there_only(scan: Scan) -> None:
    project = copy_of_good(COMPUTE_DISABLED)
    for check_id in (
        "any.compute.boot_integrity",
        "any.disk.encrypted",
        "any.firewall.world_ingress_all_ports",
        "any.network.flow_logs_enabled",
    ):
        found = mine(scan, check_id, project)
        assert found and {f["status"] for f in found} == {"ERROR"}, summary(found)
        assert any("not_enabled" in f["message"] for f in found), summary(found)
    iam = mine(scan, "any.rolebinding.standing_admin", project)
    assert iam and {f["status"] for f in iam} == {"PASS"}, summary(iam)


def test_disabled_scc_api_is_error_never_pass(scan: Scan) -> None:
    found = mine(scan, "any.detector.threat_detection", copy_of_good(SCC_DISABLED))
    assert found and {f["status"] for f in found} == {"ERROR"}, summary(found)
    assert any(
        SCC_DISABLED.operation in f["message"] and "not_enabled" in f["message"] for f in found
    ), summary(found)


def test_scan_sent_only_reads(scan: Scan) -> None:
    assert scan.requests
    assert not [r.path for r in scan.requests if r.mutating]
