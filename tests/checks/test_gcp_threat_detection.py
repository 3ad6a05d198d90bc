"""any.detector.threat_detection on GCP: Event Threat Detection in force for the project."""

from __future__ import annotations

from scanner.inventory import SecurityService
from scanner.results import Status
from tests.checks.builders import only
from tests.checks.gcp_builders import PROJECT, SCOPE, gap, make, run

CHECK = "any.detector.threat_detection"
ETD = (
    f"//securitycentermanagement.googleapis.com/projects/{PROJECT}/locations/global"
    "/securityCenterServices/event-threat-detection"
)


def etd(enabled: bool | None) -> SecurityService:
    return make(
        SecurityService,
        ETD,
        service_kind="threat_detection",
        enabled=enabled,
        all_resources=enabled,
        features={"effectiveEnablementState": str(enabled)},
    )


def verdict(*entities: SecurityService) -> tuple[Status, str]:
    f = only(run(CHECK, *entities), SCOPE.account_ref().id)
    return f.status, f.message


def test_enabled_passes_once_for_the_project() -> None:
    status, message = verdict(etd(True))
    assert status is Status.PASS and f"project {PROJECT}" in message
    assert len(run(CHECK, etd(True))) == 1  # judged per project, not per region


def test_disabled_fails() -> None:
    status, message = verdict(etd(False))
    assert status is Status.FAIL and "Event Threat Detection" in message


def test_no_record_fails() -> None:
    assert verdict()[0] is Status.FAIL


def test_unreported_state_is_error() -> None:
    assert verdict(etd(None))[0] is Status.ERROR


def test_absent_behind_a_gap_is_only_the_gap_error() -> None:
    findings = run(CHECK, gaps=(gap(("security_service",)),))
    assert {f.status for f in findings} == {Status.ERROR}
    assert all("access_denied" in f.message for f in findings)


def test_other_service_kinds_do_not_count() -> None:
    other = make(SecurityService, "x", service_kind="asset_inventory", enabled=True)
    assert verdict(other)[0] is Status.FAIL
