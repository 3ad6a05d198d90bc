"""Azure activity-log export, activity-log alerts, Defender plans and administrator grants."""

from __future__ import annotations

import pytest

from checks.alerts import AZURE_NETWORK_OPERATIONS, AZURE_PRIVILEGED_OPERATIONS
from checks.audit import AZURE_CATEGORIES
from checks.detection import AZURE_PLANS
from scanner.inventory import (
    GLOBAL,
    AlertRule,
    AuditTrail,
    RoleBinding,
    RoleDefinition,
    SecurityService,
)
from scanner.results import Severity, Status
from tests.checks.azure_builders import AZ_SCOPE, SUB, SUB_ID, arm, az, az_gap, az_run
from tests.checks.builders import only, statuses

AUDIT = "any.audit_trail.complete"
PRIV = "any.alert.privileged_or_auth_event"
NET = "any.alert.network_change"
DEFENDER = "any.detector.threat_detection"
ADMIN = "any.rolebinding.standing_admin"
SCOPE_ID = AZ_SCOPE.account_ref().id
WORKSPACE = arm("microsoft.operationalinsights/workspaces/logs")
ACTION_GROUP = arm("microsoft.insights/actiongroups/ops")


# --- activity log export -----------------------------------------------------------------


def setting(
    categories: tuple[str, ...], store: str = WORKSPACE, name: str = "export"
) -> AuditTrail:
    return az(
        AuditTrail,
        f"{SUB_ID}/providers/microsoft.insights/diagnosticsettings/{name}",
        region=GLOBAL,
        all_regions=True,
        org_wide=False,
        logging=bool(categories),
        mgmt_write="Administrative" in categories,
        categories=categories,
        store_id=store,
    )


def test_setting_with_the_cis_categories_passes() -> None:
    found = az_run(AUDIT, setting(("Administrative", "Security", "Policy", "Alert", "Autoscale")))
    assert statuses(found) == {SCOPE_ID: Status.PASS}


def test_missing_category_fails_naming_it() -> None:
    f = only(az_run(AUDIT, setting(("Administrative", "Security", "Alert"))), SCOPE_ID)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert "Policy" in f.message and "az monitor diagnostic-settings" in f.remediation


def test_setting_without_destination_fails_and_one_good_setting_is_enough() -> None:
    f = only(az_run(AUDIT, setting(AZURE_CATEGORIES, store="")), SCOPE_ID)
    assert f.status is Status.FAIL and "destination" in f.message
    found = az_run(AUDIT, setting(("Security",), name="a"), setting(AZURE_CATEGORIES, name="b"))
    assert statuses(found) == {SCOPE_ID: Status.PASS}


def test_no_setting_fails_and_a_gap_is_error() -> None:
    assert statuses(az_run(AUDIT)) == {SCOPE_ID: Status.FAIL}
    found = az_run(AUDIT, gaps=(az_gap(("audit_trail",)),))
    assert {f.status for f in found} == {Status.ERROR}


# --- activity-log alerts -----------------------------------------------------------------


def alert(operation: str, **fields: object) -> AlertRule:
    base: dict[str, object] = {
        "enabled": True,
        "targets": (ACTION_GROUP,),
        "target_verified": True,
        "source_id": SUB_ID,
        "scopes": (SUB_ID,),
    }
    base.update(fields)
    name = operation.replace("/", "-").lower()
    return az(
        AlertRule,
        arm(f"microsoft.insights/activitylogalerts/{name}"),
        region=GLOBAL,
        match_expr=f"category=Administrative && operationName={operation}",
        **base,
    )


@pytest.mark.parametrize(
    ("check_id", "operations"),
    [(PRIV, AZURE_PRIVILEGED_OPERATIONS), (NET, AZURE_NETWORK_OPERATIONS)],
)
def test_one_alert_per_operation_passes_and_a_missing_one_fails(
    check_id: str, operations: tuple[str, ...]
) -> None:
    rules = [alert(op) for op in operations]
    assert statuses(az_run(check_id, *rules)) == {SCOPE_ID: Status.PASS}
    f = only(az_run(check_id, *rules[1:]), SCOPE_ID)
    assert f.status is Status.FAIL and f.evidence["missing"] == [operations[0]]
    assert f.message.startswith(f"subscription {SUB} has no working alert")
    assert "az monitor activity-log alert create" in f.remediation


def test_write_alert_does_not_cover_delete_or_child_resources() -> None:
    """CIS asks for create/update and delete separately; securityRules/write is another op."""
    rules = [
        alert("Microsoft.Network/networkSecurityGroups/write"),
        alert("Microsoft.Network/networkSecurityGroups/securityRules/delete"),
        alert("Microsoft.Network/publicIPAddresses/write"),
        alert("Microsoft.Network/publicIPAddresses/delete"),
    ]
    f = only(az_run(NET, *rules), SCOPE_ID)
    assert f.status is Status.FAIL
    assert f.evidence["missing"] == ["Microsoft.Network/networkSecurityGroups/delete"]


def test_operation_names_match_case_insensitively() -> None:
    rules = [alert(op.lower()) for op in AZURE_NETWORK_OPERATIONS]
    assert statuses(az_run(NET, *rules)) == {SCOPE_ID: Status.PASS}


def test_disabled_alert_or_empty_action_group_does_not_count() -> None:
    ops = AZURE_PRIVILEGED_OPERATIONS
    disabled = [alert(op, enabled=op != ops[0]) for op in ops]
    assert statuses(az_run(PRIV, *disabled)) == {SCOPE_ID: Status.FAIL}
    silent = [alert(op, target_verified=op != ops[0]) for op in ops]
    f = only(az_run(PRIV, *silent), SCOPE_ID)
    assert f.status is Status.FAIL and f.evidence["no_confirmed_subscriber"] == [ops[0]]
    no_target = [alert(op, targets=() if op == ops[0] else (ACTION_GROUP,)) for op in ops]
    assert statuses(az_run(PRIV, *no_target)) == {SCOPE_ID: Status.FAIL}


def test_unreadable_action_groups_are_error() -> None:
    rules = [alert(op, target_verified=None) for op in AZURE_PRIVILEGED_OPERATIONS]
    assert statuses(az_run(PRIV, *rules)) == {SCOPE_ID: Status.ERROR}


def test_alert_gap_is_error_not_fail() -> None:
    found = az_run(NET, gaps=(az_gap(("alert_rule",)),))
    assert {f.status for f in found} == {Status.ERROR}


# --- Defender for Cloud ------------------------------------------------------------------


def pricings(**tiers: str) -> SecurityService:
    plans = dict.fromkeys(AZURE_PLANS, "Standard")
    plans.update({"SqlServers": "Free"})
    plans.update(tiers)
    return az(
        SecurityService,
        f"{SUB_ID}/providers/microsoft.security/pricings",
        region=GLOBAL,
        service_kind="threat_detection",
        enabled=True,
        features=plans,
    )


def test_required_plans_on_pass_per_subscription() -> None:
    f = only(az_run(DEFENDER, pricings()), SCOPE_ID)
    assert f.status is Status.PASS and f.evidence["required_plans"] == sorted(AZURE_PLANS)


def test_a_required_plan_on_free_fails() -> None:
    f = only(az_run(DEFENDER, pricings(Arm="Free")), SCOPE_ID)
    assert f.status is Status.FAIL and f.evidence["plans_off"] == ["Arm"]
    assert "az security pricing create" in f.remediation


def test_unlisted_plan_is_error_and_no_pricings_fail() -> None:
    svc = pricings()
    partial = az(
        SecurityService,
        svc.id,
        region=GLOBAL,
        service_kind="threat_detection",
        enabled=True,
        features={k: v for k, v in svc.features.items() if k != "KeyVaults"},
    )
    assert statuses(az_run(DEFENDER, partial)) == {SCOPE_ID: Status.ERROR}
    assert statuses(az_run(DEFENDER)) == {SCOPE_ID: Status.FAIL}
    found = az_run(DEFENDER, gaps=(az_gap(("security_service",)),))
    assert {f.status for f in found} == {Status.ERROR}


# --- standing administrator grants -------------------------------------------------------

ROLES = f"{SUB_ID}/providers/microsoft.authorization/roledefinitions"
OWNER = f"{ROLES}/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
ALICE = "aaaaaaaa-0000-0000-0000-000000000001"


def grant(
    principal_type: str, admin: bool | None, level: str = "subscription", name: str = "g1"
) -> RoleBinding:
    scope = SUB_ID if level == "subscription" else f"{SUB_ID}/resourcegroups/rg1"
    return az(
        RoleBinding,
        f"{scope}/providers/microsoft.authorization/roleassignments/{name}",
        region=GLOBAL,
        principal_id=ALICE,
        principal_type=principal_type,
        role=OWNER,
        role_name="Owner",
        scope=scope,
        scope_level=level,
        admin_equivalent=admin,
    )


def test_owner_for_a_user_at_subscription_scope_fails() -> None:
    g = grant("user", True)
    f = only(az_run(ADMIN, g), g.id)
    assert f.status is Status.FAIL and "Owner" in f.message and "subscription" in f.message
    assert "Privileged Identity Management" in f.remediation


def test_owner_on_a_resource_group_or_for_a_principal_other_than_a_user_is_not_a_fail() -> None:
    rg = grant("user", True, level="resource_group")
    assert statuses(az_run(ADMIN, rg)) == {rg.id: Status.PASS}
    assert az_run(ADMIN, grant("service_account", True)) == []
    # The tenant's own groups are left to group membership management (PIM for Groups).
    assert az_run(ADMIN, grant("group", True)) == []
    foreign = grant("foreign_group", True)
    assert statuses(az_run(ADMIN, foreign)) == {foreign.id: Status.FAIL}


def test_unknown_role_definition_is_error() -> None:
    g = grant("user", None)
    assert statuses(az_run(ADMIN, g)) == {g.id: Status.ERROR}


def role(name: str, custom: bool | None, actions: tuple[str, ...]) -> RoleDefinition:
    return az(
        RoleDefinition,
        f"{ROLES}/{name}",
        region=GLOBAL,
        name=name,
        custom=custom,
        permissions=actions,
        assignable_scopes=(SUB_ID,),
        admin_equivalent=bool(custom) and "*" in actions,
    )


def test_custom_role_with_every_action_fails() -> None:
    wild = role("super-operator", True, ("*",))
    narrow = role("vm-operator", True, ("Microsoft.Compute/virtualMachines/start/action",))
    builtin = role("owner", False, ("*",))
    found = az_run(ADMIN, wild, narrow, builtin)
    assert statuses(found) == {wild.id: Status.FAIL, narrow.id: Status.PASS}
    assert statuses(az_run(ADMIN, role("x", None, ()))) == {f"{ROLES}/x": Status.ERROR}


def test_role_definition_gap_is_error() -> None:
    found = az_run(ADMIN, gaps=(az_gap(("role_definition",)),))
    assert {f.status for f in found} == {Status.ERROR}
    assert SUB in found[0].resource.id
