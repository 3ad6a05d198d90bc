"""any.config_history.recording on GCP: Cloud Asset Inventory enabled in the project."""

from __future__ import annotations

from scanner.inventory import SecurityService
from scanner.results import Status
from tests.checks.builders import only
from tests.checks.gcp_builders import PROJECT, SCOPE, make, run

CHECK = "any.config_history.recording"
ASSET = f"//serviceusage.googleapis.com/projects/{PROJECT}/services/cloudasset.googleapis.com"


def asset(enabled: bool | None) -> SecurityService:
    return make(
        SecurityService,
        ASSET,
        service_kind="asset_inventory",
        enabled=enabled,
        all_resources=enabled,
    )


def verdict(*entities: SecurityService) -> tuple[Status, str]:
    f = only(run(CHECK, *entities), SCOPE.account_ref().id)
    return f.status, f.message


def test_enabled_passes_for_the_project() -> None:
    status, message = verdict(asset(True))
    assert status is Status.PASS and f"project {PROJECT} has Cloud Asset Inventory" in message
    assert len(run(CHECK, asset(True))) == 1  # one result per project, not per region


def test_disabled_fails() -> None:
    status, message = verdict(asset(False))
    assert status is Status.FAIL and "cloudasset.googleapis.com" in message


def test_unreported_state_is_error() -> None:
    assert verdict(asset(None))[0] is Status.ERROR


def test_other_service_kinds_do_not_count() -> None:
    other = make(SecurityService, "x", service_kind="threat_detection", enabled=True)
    assert verdict(other)[0] is Status.FAIL
