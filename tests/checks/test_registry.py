"""The built-in catalogue loads with valid metadata; third-party checks join the same way."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from scanner import registry
from scanner.controls import CONTROLS
from scanner.engine import evaluate
from scanner.errors import CheckLoadError
from scanner.inventory import Disk, Inventory
from scanner.registry import CheckConfig, check, load_checks
from scanner.results import Result, Severity, Status
from tests.checks.builders import SCOPE, ec2, make

# Check id -> the CLD controls CHECKS.md lists for it.
CATALOGUE = {
    "any.firewall.world_ingress_all_ports": {"CLD.9.5.1", "CLD.13.1.4"},
    "any.network.default_constructs_restricted": {"CLD.9.5.1", "CLD.13.1.4"},
    "any.network.cross_tenant_link": {"CLD.9.5.1", "CLD.13.1.4"},
    "any.image.publicly_shared": {"CLD.9.5.1"},
    "any.compute.public_ip_attached": {"CLD.9.5.1", "CLD.13.1.4"},
    "any.firewall.world_ingress_admin_port": {"CLD.9.5.2", "CLD.9.5.1", "CLD.13.1.4"},
    "aws.ec2.imdsv2_required": {"CLD.9.5.2"},
    "any.compute.boot_integrity": {"CLD.9.5.2"},
    "any.disk.encrypted": {"CLD.9.5.2"},
    "any.compute.login_hardened": {"CLD.9.5.2", "CLD.12.1.5"},
    "any.compute.identity_least_privilege": {"CLD.9.5.2", "CLD.12.1.5"},
    "any.principal.privileged_mfa": {"CLD.12.1.5"},
    "aws.iam.root_unused_no_keys": {"CLD.12.1.5"},
    "any.rolebinding.standing_admin": {"CLD.12.1.5"},
    "any.credential.old_or_unused": {"CLD.12.1.5"},
    "any.alert.privileged_or_auth_event": {"CLD.12.1.5", "CLD.12.4.5"},
    "any.audit_trail.complete": {"CLD.12.4.5"},
    "any.audit_trail.tamper_resistant": {"CLD.12.4.5"},
    "any.detector.threat_detection": {"CLD.12.4.5"},
    "any.config_history.recording": {"CLD.12.4.5", "CLD.13.1.4"},
    "any.network.flow_logs_enabled": {"CLD.13.1.4", "CLD.12.4.5"},
    "any.alert.network_change": {"CLD.13.1.4", "CLD.12.4.5"},
    "any.subnet.filtering_attached": {"CLD.13.1.4", "CLD.9.5.1"},
    "any.compute.ip_forwarding_disabled": {"CLD.13.1.4", "CLD.9.5.1"},
}
REFERENCE = re.compile(r"^(CIS (AWS|Azure|GCP) \d+\.\d+ \d+(\.\d+)*|prowler:[a-z0-9_]+)$")


def builtin() -> dict[str, registry.Check]:
    return {k: v for k, v in load_checks(plugins=False).items() if k in CATALOGUE}


def test_every_tier1_check_is_registered_with_its_controls() -> None:
    checks = builtin()
    assert sorted(checks) == sorted(CATALOGUE)
    for cid, entry in checks.items():
        assert set(entry.controls) == CATALOGUE[cid], cid


@pytest.mark.parametrize("check_id", sorted(CATALOGUE))
def test_metadata_is_complete(check_id: str) -> None:
    entry = builtin()[check_id]
    assert entry.title and entry.title[0].isupper()
    assert isinstance(entry.severity, Severity)
    assert set(entry.controls) <= set(CONTROLS)
    assert entry.providers
    assert entry.needs
    assert len(entry.rationale) > 40
    for provider in entry.providers:
        assert len(entry.remediation_for(provider)) > 40, f"no remediation for {provider}"
    assert entry.references, "every check cites CIS items and/or Prowler ids"
    assert all(REFERENCE.match(r) for r in entry.references), entry.references
    assert any(r.startswith("prowler:") for r in entry.references)


def test_every_control_has_a_builtin_check() -> None:
    covered = {c for entry in builtin().values() for c in entry.controls}
    assert covered == set(CONTROLS)


@pytest.fixture
def third_party() -> Iterator[str]:
    check_id = "thirdparty.disk.named"

    @check(
        id=check_id,
        title="Disks have a name",
        severity=Severity.LOW,
        controls=("CLD.9.5.2",),
        providers=("aws",),
        needs=(Disk,),
        rationale="Unnamed disks are hard to own.",
        remediation="Tag the disk with Name.",
        references=("ACME 1.1",),
    )
    def named(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
        for disk in inv.of(Disk):
            if disk.name:
                yield Result.passed(disk, f"{disk.name} is named")
            else:
                yield Result.failed(disk, f"{disk.id} has no name")

    yield check_id
    registry._REGISTRY.pop(check_id, None)


def test_a_third_party_check_is_discovered_and_run(third_party: str) -> None:
    checks = load_checks(plugins=False)
    assert third_party in checks and set(CATALOGUE) <= set(checks)
    inv = Inventory(entities=(make(Disk, ec2("volume/vol-1")),), scopes=(SCOPE,))
    report = evaluate(inv, [checks[third_party]])
    assert [(f.check_id, f.status) for f in report.findings] == [(third_party, Status.FAIL)]


def test_a_third_party_check_cannot_take_a_builtin_id() -> None:
    with pytest.raises(CheckLoadError, match="registered twice"):

        @check(
            id="any.disk.encrypted",
            title="Impostor",
            severity=Severity.LOW,
            controls=("CLD.9.5.2",),
            providers=("aws",),
            needs=(Disk,),
            rationale="r",
            remediation="r",
        )
        def impostor(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
            return iter(())


def test_remediation_per_provider_falls_back_to_any() -> None:
    @check(
        id="test.remediation.per_provider",
        title="Per-provider fix",
        severity=Severity.LOW,
        controls=("CLD.9.5.2",),
        providers=("aws", "azure", "gcp"),
        needs=(Disk,),
        rationale="r",
        remediation={"aws": "aws fix", "any": "generic fix"},
    )
    def per_provider(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
        return iter(())

    try:
        entry = load_checks(plugins=False)["test.remediation.per_provider"]
        assert entry.remediation_for("aws") == "aws fix"
        assert entry.remediation_for("gcp") == "generic fix"
    finally:
        registry._REGISTRY.pop("test.remediation.per_provider", None)


def test_remediation_for_an_undeclared_provider_is_refused() -> None:
    with pytest.raises(CheckLoadError, match="does not declare: azure"):

        @check(
            id="test.remediation.stray",
            title="Stray fix",
            severity=Severity.LOW,
            controls=("CLD.9.5.2",),
            providers=("aws",),
            needs=(Disk,),
            rationale="r",
            remediation={"aws": "aws fix", "azure": "azure fix"},
        )
        def stray(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
            return iter(())
