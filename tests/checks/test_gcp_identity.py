"""GCP IAM and logging: standing admin bindings, user-managed keys, audit logs, alerts."""

from __future__ import annotations

from checks.alerts import GCP_NETWORK_EVENTS, GCP_PRIVILEGED_EVENTS
from scanner.inventory import AlertRule, AuditTrail, Credential, Principal, RoleBinding
from scanner.results import Severity, Status
from tests.checks.builders import ago, only, statuses
from tests.checks.gcp_builders import APP_SA, PROJECT, SCOPE, make, run

ADMIN = "any.rolebinding.standing_admin"
KEYS = "any.credential.old_or_unused"
TRAIL = "any.audit_trail.complete"
PRIVILEGED = "any.alert.privileged_or_auth_event"
NETWORK_ALERTS = "any.alert.network_change"
RM = f"//cloudresourcemanager.googleapis.com/projects/{PROJECT}"
SA_ID = f"projects/{PROJECT}/serviceAccounts/{APP_SA}"
PROJECT_REF = SCOPE.native_id


def binding(member: str, kind: str, role: str, admin: bool | None) -> RoleBinding:
    return make(
        RoleBinding,
        f"{RM}#{role}#{member}",
        principal_id=member,
        principal_type=kind,
        role=role,
        role_name=role,
        scope=f"projects/{PROJECT}",
        scope_level="project",
        admin_equivalent=admin,
    )


def test_primitive_and_admin_roles_fail_for_every_member_type() -> None:
    owner = binding("user:bob@gmail.com", "user", "roles/owner", True)
    editor = binding(f"serviceAccount:{APP_SA}", "service_account", "roles/editor", True)
    sec = binding(f"serviceAccount:{APP_SA}", "service_account", "roles/iam.securityAdmin", True)
    public = binding("allUsers", "public", "roles/editor", True)
    viewer = binding("group:ops@acme.com", "group", "roles/viewer", False)
    unknown = binding("user:eve@acme.com", "user", "roles/custom.thing", None)
    findings = run(ADMIN, owner, editor, sec, public, viewer, unknown)
    assert statuses(findings) == {
        owner.id: Status.FAIL,
        editor.id: Status.FAIL,
        sec.id: Status.FAIL,
        public.id: Status.FAIL,
        viewer.id: Status.PASS,
        unknown.id: Status.ERROR,
    }
    assert "primitive role roles/owner" in only(findings, owner.id).message
    assert only(findings, public.id).severity is Severity.CRITICAL


def sa() -> Principal:
    return make(
        Principal,
        SA_ID,
        name=APP_SA,
        principal_kind="service",
        aliases=(APP_SA, f"serviceAccount:{APP_SA}"),
    )


def key(n: int, *, days: int | None, active: bool | None = True) -> Credential:
    return make(
        Credential,
        f"{SA_ID}/keys/k{n}",
        principal_id=SA_ID,
        credential_kind="sa_key",
        user_managed=True,
        created_at=None if days is None else ago(days),
        active=active,
    )


def test_user_managed_keys_fail_old_ones_say_so() -> None:
    young, old = key(1, days=3), key(2, days=400)
    findings = run(KEYS, sa(), young, old)
    assert statuses(findings) == {young.id: Status.FAIL, old.id: Status.FAIL}
    assert "3 days old" in only(findings, young.id).message
    assert "rotation limit 90" in only(findings, old.id).message
    assert only(findings, old.id).evidence["older_than_limit"] is True


def test_key_of_an_admin_service_account_is_high() -> None:
    editor = binding(f"serviceAccount:{APP_SA}", "service_account", "roles/editor", True)
    f = only(run(KEYS, sa(), editor, key(1, days=3)), f"{SA_ID}/keys/k1")
    assert f.severity is Severity.HIGH


def test_disabled_keys_pass_and_unknown_state_is_error() -> None:
    assert statuses(run(KEYS, sa(), key(1, days=400, active=False))) == {SA_ID: Status.PASS}
    findings = run(KEYS, sa(), key(1, days=400, active=False), key(2, days=1, active=None))
    assert statuses(findings) == {f"{SA_ID}/keys/k2": Status.ERROR}


def test_key_without_creation_time_still_fails() -> None:
    f = only(run(KEYS, sa(), key(1, days=None)), f"{SA_ID}/keys/k1")
    assert f.status is Status.FAIL and "not reported" in f.message


def audit_config(data_events: bool | None) -> AuditTrail:
    return make(
        AuditTrail,
        f"{RM}/auditConfigs",
        mgmt_write=True,
        mgmt_read=True,
        data_events=data_events,
        logging=True,
        all_regions=True,
    )


def sink(filter_expr: str | None, logging: bool | None = True) -> AuditTrail:
    return make(
        AuditTrail,
        f"projects/{PROJECT}/sinks/s-{filter_expr!s:.5}",
        store_id="storage.googleapis.com/logs",
        filter_expr=filter_expr,
        logging=logging,
    )


def trail_verdict(*trails: AuditTrail) -> tuple[Status, str]:
    f = only(run(TRAIL, *trails), PROJECT_REF)
    return f.status, f.message


def test_audit_logging_needs_data_access_logs_and_an_unfiltered_sink() -> None:
    assert trail_verdict(audit_config(True), sink(""))[0] is Status.PASS
    status, message = trail_verdict(audit_config(False), sink(""))
    assert status is Status.FAIL and "Data Access" in message
    status, message = trail_verdict(audit_config(True), sink('severity>="ERROR"'))
    assert status is Status.FAIL and "empty filter" in message
    assert trail_verdict(audit_config(True), sink("", logging=False))[0] is Status.FAIL
    status, message = trail_verdict(audit_config(True))
    assert status is Status.FAIL and "sink" in message


def test_audit_logging_unknowns_are_error_but_a_seen_failure_stays() -> None:
    assert trail_verdict(audit_config(None), sink(""))[0] is Status.ERROR
    assert trail_verdict(audit_config(True), sink(None))[0] is Status.ERROR
    assert trail_verdict(audit_config(False), sink(None))[0] is Status.FAIL


def alert(classes: tuple[str, ...], **fields: object) -> AlertRule:
    base: dict[str, object] = {
        "source_id": f"projects/{PROJECT}",
        "enabled": True,
        "targets": (f"projects/{PROJECT}/notificationChannels/1",),
        "target_verified": True,
    }
    base.update(fields)
    return make(
        AlertRule,
        f"projects/{PROJECT}/alertPolicies/{'-'.join(classes)}",
        event_classes=classes,
        **base,  # type: ignore[arg-type]
    )


def alert_verdict(check_id: str, *rules: AlertRule) -> tuple[Status, dict[str, object]]:
    f = only(run(check_id, *rules), PROJECT_REF)
    return f.status, dict(f.evidence)


def test_alerts_need_no_trail_on_gcp() -> None:
    assert alert_verdict(PRIVILEGED, alert(GCP_PRIVILEGED_EVENTS))[0] is Status.PASS
    assert alert_verdict(NETWORK_ALERTS, alert(GCP_NETWORK_EVENTS))[0] is Status.PASS


def test_missing_disabled_or_unverified_alerts_fail() -> None:
    status, evidence = alert_verdict(NETWORK_ALERTS, alert(("firewall_rule_change",)))
    assert status is Status.FAIL
    assert evidence["missing"] == ["route_table_change", "vpc_change"]
    assert alert_verdict(NETWORK_ALERTS, alert(GCP_NETWORK_EVENTS, enabled=False))[0] is (
        Status.FAIL
    )
    status, evidence = alert_verdict(
        NETWORK_ALERTS, alert(GCP_NETWORK_EVENTS, target_verified=False)
    )
    assert status is Status.FAIL and evidence["no_confirmed_subscriber"]


def test_alert_with_unreported_channel_state_is_error() -> None:
    rule = alert(GCP_PRIVILEGED_EVENTS, target_verified=None)
    assert alert_verdict(PRIVILEGED, rule)[0] is Status.ERROR


def test_alert_on_another_projects_logs_does_not_count() -> None:
    rule = alert(GCP_PRIVILEGED_EVENTS, source_id="projects/elsewhere")
    assert alert_verdict(PRIVILEGED, rule)[0] is Status.FAIL
