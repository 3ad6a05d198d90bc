"""Azure activity-log storage (any.audit_trail.tamper_resistant) and the Microsoft cloud
security benchmark assignment (any.config_history.recording)."""

from __future__ import annotations

from scanner.inventory import GLOBAL, AuditTrail, Gap, GapReason, SecurityService
from scanner.results import Severity, Status
from tests.checks.azure_builders import AZ_SCOPE, SUB, SUB_ID, arm, az, az_gap, az_run
from tests.checks.builders import only, statuses

TAMPER = "any.audit_trail.tamper_resistant"
HISTORY = "any.config_history.recording"
SCOPE_ID = AZ_SCOPE.account_ref().id
STORAGE = arm("microsoft.storage/storageaccounts/stlogs")
WORKSPACE = arm("microsoft.operationalinsights/workspaces/logs")
KEY = "https://kv.vault.azure.net/keys/logs"


def setting(
    store: str = STORAGE,
    *,
    cmk: bool | None = True,
    public: bool | None = False,
    name: str = "export",
) -> AuditTrail:
    return az(
        AuditTrail,
        f"{SUB_ID}/providers/microsoft.insights/diagnosticsettings/{name}",
        region=GLOBAL,
        all_regions=True,
        logging=True,
        categories=("Administrative",),
        store_id=store,
        encrypted_cmk=cmk,
        store_public=public,
        key_id=KEY if cmk else None,
    )


# --- the storage account of the activity log ----------------------------------------------


def test_private_cmk_storage_passes() -> None:
    trail = setting()
    f = only(az_run(TAMPER, trail), trail.id)
    assert f.status is Status.PASS and KEY in f.message
    assert f.evidence["storage_account"] == STORAGE


def test_microsoft_managed_key_fails() -> None:
    trail = setting(cmk=False)
    f = only(az_run(TAMPER, trail), trail.id)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert "customer-managed" in f.message and "public" not in f.message
    assert "az storage account update" in f.remediation
    assert "Microsoft.Keyvault" in f.remediation


def test_public_blob_access_fails_even_with_a_cmk() -> None:
    trail = setting(public=True)
    f = only(az_run(TAMPER, trail), trail.id)
    assert f.status is Status.FAIL and "public access" in f.message


def test_unread_storage_account_is_error_naming_the_gap_never_pass() -> None:
    trail = setting(cmk=None, public=None)
    gap = Gap(
        "azure",
        SUB,
        GLOBAL,
        "Microsoft.Storage/storageAccounts/read",
        ("storage_account",),
        GapReason.ACCESS_DENIED,
        "HTTP 403 AuthorizationFailed",
    )
    found = az_run(TAMPER, trail, gaps=(gap,))
    assert statuses(found) == {trail.id: Status.ERROR}
    assert "access_denied" in found[0].message and "stlogs" in found[0].message


def test_one_unreported_field_is_error() -> None:
    trail = setting(public=None)
    f = only(az_run(TAMPER, trail), trail.id)
    assert f.status is Status.ERROR and "public blob access not reported" in f.message


def test_a_known_failure_wins_over_an_unknown_field() -> None:
    trail = setting(cmk=False, public=None)
    assert statuses(az_run(TAMPER, trail)) == {trail.id: Status.FAIL}


def test_workspace_only_export_has_no_result() -> None:
    assert az_run(TAMPER, setting(WORKSPACE, cmk=None, public=None)) == []


def test_denied_diagnostic_settings_are_error() -> None:
    found = az_run(TAMPER, gaps=(az_gap(("audit_trail",)),))
    assert {f.status for f in found} == {Status.ERROR}


# --- the Microsoft cloud security benchmark assignment -------------------------------------


def benchmark(enabled: bool | None, modes: dict[str, str], **fields: object) -> SecurityService:
    return az(
        SecurityService,
        f"{SUB_ID}/providers/microsoft.authorization/policyassignments",
        region=GLOBAL,
        service_kind="config_recorder",
        enabled=enabled,
        features=modes,
        **fields,
    )


ASSIGNMENT = f"{SUB_ID}/providers/microsoft.authorization/policyassignments/securitycenterbuiltin"


def test_enforced_benchmark_passes_once_per_subscription() -> None:
    found = az_run(HISTORY, benchmark(True, {ASSIGNMENT: "Default"}, all_resources=True))
    assert statuses(found) == {SCOPE_ID: Status.PASS}
    assert found[0].evidence["benchmark_assignments"] == {ASSIGNMENT: "Default"}


def test_do_not_enforce_fails_naming_the_mode() -> None:
    f = only(az_run(HISTORY, benchmark(False, {ASSIGNMENT: "DoNotEnforce"})), SCOPE_ID)
    assert f.status is Status.FAIL and "DoNotEnforce" in f.message
    assert "--enforcement-mode Default" in f.remediation


def test_missing_assignment_fails() -> None:
    f = only(az_run(HISTORY, benchmark(False, {})), SCOPE_ID)
    assert f.status is Status.FAIL and "no Microsoft cloud security benchmark" in f.message
    # nothing collected at all (no gap) is the same
    assert statuses(az_run(HISTORY)) == {SCOPE_ID: Status.FAIL}


def test_unreported_mode_is_error() -> None:
    f = only(az_run(HISTORY, benchmark(None, {ASSIGNMENT: ""})), SCOPE_ID)
    assert f.status is Status.ERROR


def test_denied_policy_assignments_are_error_without_pass() -> None:
    found = az_run(
        HISTORY,
        benchmark(True, {ASSIGNMENT: "Default"}),
        gaps=(az_gap(("security_service",)),),
    )
    assert {f.status for f in found} == {Status.ERROR}


def test_resource_group_exclusions_pass_saying_so() -> None:
    partial = benchmark(
        True,
        {ASSIGNMENT: "Default (notScopes exclude resource groups or resources)"},
        all_resources=False,
    )
    f = only(az_run(HISTORY, partial), SCOPE_ID)
    assert f.status is Status.PASS and "excluded resource groups or resources" in f.message


def test_excluded_subscription_fails_naming_the_exclusion() -> None:
    excluded = benchmark(False, {ASSIGNMENT: "Default (notScopes exclude this subscription)"})
    f = only(az_run(HISTORY, excluded), SCOPE_ID)
    assert f.status is Status.FAIL and "exclude this subscription" in f.message


def test_management_group_exclusion_of_unknown_ancestry_is_error() -> None:
    note = "Default (notScopes name a management group that may contain this subscription)"
    f = only(az_run(HISTORY, benchmark(None, {ASSIGNMENT: note})), SCOPE_ID)
    assert f.status is Status.ERROR and "management group" in f.message
