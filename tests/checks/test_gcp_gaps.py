"""Every check with a GCP instance: a clean project PASSes; a gap on any kind it needs turns
the project into ERROR with no PASS left; an unrelated gap changes nothing."""

from __future__ import annotations

import pytest

from checks.alerts import GCP_NETWORK_EVENTS, GCP_PRIVILEGED_EVENTS
from scanner.inventory import (
    AlertRule,
    AuditTrail,
    Disk,
    Entity,
    FlowLogConfig,
    MachineImage,
    Network,
    NetworkPeering,
    Principal,
    RoleBinding,
    SecurityService,
    Subnet,
)
from scanner.registry import load_checks
from scanner.results import Status
from tests.checks.gcp_builders import (
    API,
    APP_SA,
    NETWORK,
    PROJECT,
    REGION,
    SCOPE,
    SUBNET,
    fw,
    fw_set,
    gap,
    implied_deny,
    make,
    run,
    vm,
)

SA_ID = f"projects/{PROJECT}/serviceAccounts/{APP_SA}"
APP_SA_PRINCIPAL = make(
    Principal,
    SA_ID,
    name=APP_SA,
    principal_kind="service",
    aliases=(APP_SA, f"serviceAccount:{APP_SA}"),
)
RM = f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}"
VIEWER = make(
    RoleBinding,
    f"{RM}#roles/viewer#serviceAccount:{APP_SA}",
    principal_id=f"serviceAccount:{APP_SA}",
    principal_type="service_account",
    role="roles/viewer",
    role_name="roles/viewer",
    scope=f"projects/{PROJECT}",
    scope_level="project",
    admin_equivalent=False,
)
AUDIT_CONFIG = make(
    AuditTrail,
    f"{RM}/auditConfigs",
    mgmt_write=True,
    mgmt_read=True,
    data_events=True,
    logging=True,
    all_regions=True,
    categories=("ADMIN_READ", "DATA_READ", "DATA_WRITE"),
)
SINK = make(
    AuditTrail,
    f"projects/{PROJECT}/sinks/everything",
    store_id="storage.googleapis.com/acme-logs",
    filter_expr="",
    logging=True,
    all_regions=True,
    immutable=True,
)


def alert(classes: tuple[str, ...]) -> AlertRule:
    return make(
        AlertRule,
        f"projects/{PROJECT}/alertPolicies/1#{'-'.join(classes)}",
        event_classes=classes,
        source_id=f"projects/{PROJECT}",
        enabled=True,
        targets=(f"projects/{PROJECT}/notificationChannels/7",),
        target_verified=True,
    )


PASSING_GCP: dict[str, tuple[Entity, ...]] = {
    "any.firewall.world_ingress_all_ports": (
        fw_set(),
        fw("allow-https", protocol="tcp", ports=(443, 443), targets=("tag:web",)),
        implied_deny(),
    ),
    "any.firewall.world_ingress_admin_port": (
        fw_set(),
        fw("allow-iap-ssh", protocol="tcp", ports=(22, 22), sources=("35.235.240.0/20",)),
        implied_deny(),
    ),
    "any.network.default_constructs_restricted": (make(Network, NETWORK),),
    "any.network.cross_tenant_link": (
        make(
            NetworkPeering,
            f"{NETWORK}/peerings/to-batch",
            local_network_id=NETWORK,
            peer_network_id=f"{API}/projects/{PROJECT}/global/networks/batch",
            peer_account=PROJECT,
            status="active",
            transit=False,
        ),
    ),
    "any.image.publicly_shared": (
        make(MachineImage, f"{API}/projects/{PROJECT}/global/images/base", public=False),
    ),
    "any.compute.public_ip_attached": (vm(),),
    "any.compute.boot_integrity": (vm(),),
    "any.disk.encrypted": (
        make(
            Disk,
            f"{API}/projects/{PROJECT}/zones/us-central1-a/disks/app-1",
            region=REGION,
            encrypted=True,
            key_type="customer",
            key_id="projects/acme-prod/locations/us/keyRings/r/cryptoKeys/k",
        ),
    ),
    "any.compute.login_hardened": (vm(),),
    "any.compute.identity_least_privilege": (vm(), APP_SA_PRINCIPAL, VIEWER),
    "any.rolebinding.standing_admin": (VIEWER,),
    "any.credential.old_or_unused": (APP_SA_PRINCIPAL,),
    "any.audit_trail.complete": (AUDIT_CONFIG, SINK),
    "any.audit_trail.tamper_resistant": (AUDIT_CONFIG, SINK),
    "any.alert.privileged_or_auth_event": (alert(GCP_PRIVILEGED_EVENTS),),
    "any.alert.network_change": (alert(GCP_NETWORK_EVENTS),),
    "any.network.flow_logs_enabled": (
        make(Network, NETWORK),
        make(Subnet, SUBNET, region=REGION, network_id=NETWORK, purpose="PRIVATE"),
        make(
            FlowLogConfig,
            f"{SUBNET}/flowLogs",
            region=REGION,
            target_type="subnet",
            target_id=SUBNET,
            enabled=True,
            traffic_type="ALL",
        ),
    ),
    "any.compute.ip_forwarding_disabled": (vm(),),
    "any.config_history.recording": (
        make(
            SecurityService,
            f"//serviceusage.googleapis.com/projects/{PROJECT}/services/cloudasset.googleapis.com",
            service_kind="asset_inventory",
            enabled=True,
            all_resources=True,
        ),
    ),
    "any.detector.threat_detection": (
        make(
            SecurityService,
            f"//securitycentermanagement.googleapis.com/projects/{PROJECT}/locations/global"
            "/securityCenterServices/event-threat-detection",
            service_kind="threat_detection",
            enabled=True,
            all_resources=True,
        ),
    ),
}
CHECKS = load_checks(plugins=False)
GCP_CHECKS = sorted(k for k, c in CHECKS.items() if "gcp" in c.providers)
# Left out on purpose (docs/gcp-checks.md).
NOT_GCP = {
    "any.principal.privileged_mfa",
    "any.subnet.filtering_attached",
}


def test_every_gcp_check_has_a_passing_case() -> None:
    assert sorted(PASSING_GCP) == GCP_CHECKS
    assert not NOT_GCP & set(GCP_CHECKS)


@pytest.mark.parametrize("check_id", GCP_CHECKS)
def test_every_gcp_check_has_gcp_remediation_with_gcloud(check_id: str) -> None:
    text = CHECKS[check_id].remediation.get("gcp", "")
    assert "gcloud" in text, check_id


@pytest.mark.parametrize("check_id", sorted(PASSING_GCP))
def test_clean_project_passes(check_id: str) -> None:
    findings = run(check_id, *PASSING_GCP[check_id])
    assert findings, "a check must say something about a clean project"
    assert {f.status for f in findings} == {Status.PASS}, [f.message for f in findings]
    assert {f.resource.provider for f in findings} == {"gcp"}


@pytest.mark.parametrize(
    ("check_id", "kind"),
    [(cid, kind) for cid in sorted(PASSING_GCP) for kind in CHECKS[cid].needed_kinds],
)
def test_gap_on_a_needed_kind_is_error_and_no_pass(check_id: str, kind: str) -> None:
    findings = run(check_id, *PASSING_GCP[check_id], gaps=(gap((kind,)),))
    assert Status.PASS not in {f.status for f in findings}
    errors = [f for f in findings if f.status is Status.ERROR]
    assert any("access_denied" in f.message and PROJECT in f.message for f in errors)


@pytest.mark.parametrize("check_id", sorted(PASSING_GCP))
def test_gap_on_an_unrelated_kind_changes_nothing(check_id: str) -> None:
    findings = run(check_id, *PASSING_GCP[check_id], gaps=(gap(("password_policy",)),))
    assert {f.status for f in findings} == {Status.PASS}


@pytest.mark.parametrize("check_id", sorted(PASSING_GCP))
def test_a_gap_in_another_project_changes_nothing(check_id: str) -> None:
    kinds = CHECKS[check_id].needed_kinds
    findings = run(check_id, *PASSING_GCP[check_id], gaps=(gap(kinds, project="elsewhere"),))
    assert {f.status for f in findings if f.resource.account == PROJECT} == {Status.PASS}


@pytest.mark.parametrize(
    "check_id",
    [
        "any.audit_trail.complete",
        "any.alert.privileged_or_auth_event",
        "any.alert.network_change",
        "any.config_history.recording",
        "any.detector.threat_detection",
    ],
)
def test_absence_behind_a_gap_is_error_not_fail(check_id: str) -> None:
    """Project-level checks that FAIL on a missing record stay silent where a gap hid it."""
    findings = run(check_id, gaps=(gap(CHECKS[check_id].needed_kinds),))
    assert {f.status for f in findings} == {Status.ERROR}, [f.message for f in findings]


def test_subnet_without_flow_log_record_behind_a_gap_is_error() -> None:
    subnet = make(Subnet, SUBNET, region=REGION, network_id=NETWORK, purpose="PRIVATE")
    findings = run(
        "any.network.flow_logs_enabled",
        make(Network, NETWORK),
        subnet,
        gaps=(gap(("flow_log_config",), region=REGION),),
    )
    assert {f.status for f in findings} == {Status.ERROR}


def test_scope_is_the_project() -> None:
    findings = run("any.audit_trail.complete", AUDIT_CONFIG, SINK)
    assert [f.resource.id for f in findings] == [SCOPE.native_id]
