"""Azure: roles that can grant access, every identity of a VM, alerts narrower than the
subscription."""

from __future__ import annotations

from checks.alerts import AZURE_PRIVILEGED_OPERATIONS
from scanner.arm_permissions import can_assign_roles
from scanner.inventory import GLOBAL, AlertRule, ComputeInstance, RoleBinding, RoleDefinition
from scanner.results import Severity, Status
from tests.checks.azure_builders import AZ_SCOPE, SUB_ID, arm, az, az_run
from tests.checks.builders import only, statuses

ADMIN = "any.rolebinding.standing_admin"
IDENTITY = "any.compute.identity_least_privilege"
PRIV = "any.alert.privileged_or_auth_event"
SCOPE_ID = AZ_SCOPE.account_ref().id
ROLES = f"{SUB_ID}/providers/microsoft.authorization/roledefinitions"


def custom(
    name: str,
    actions: tuple[str, ...],
    not_actions: tuple[str, ...] = (),
    admin: bool | None = None,
) -> RoleDefinition:
    """A one-block custom role; ``admin_equivalent`` as the normaliser computes it unless
    given."""
    return az(
        RoleDefinition,
        f"{ROLES}/{name}",
        region=GLOBAL,
        name=name,
        custom=True,
        permissions=actions,
        not_permissions=not_actions,
        assignable_scopes=(SUB_ID,),
        admin_equivalent=can_assign_roles(actions, not_actions) if admin is None else admin,
    )


def test_custom_role_that_can_write_role_assignments_is_an_owner_role() -> None:
    authz = custom("authz-admin", ("Microsoft.Authorization/*",))
    writer = custom("granter", ("microsoft.authorization/roleassignments/write", "*/read"))
    clone = custom(
        "contributor-clone",
        ("*",),
        ("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"),
    )
    found = az_run(ADMIN, authz, writer, clone)
    assert statuses(found) == {authz.id: Status.FAIL, writer.id: Status.FAIL, clone.id: Status.PASS}
    assert "roleAssignments/write" in only(found, writer.id).message


def test_custom_role_that_can_rewrite_role_definitions_is_an_owner_role() -> None:
    rewriter = custom("rewriter", ("Microsoft.Authorization/roleDefinitions/write", "*/read"))
    found = only(az_run(ADMIN, rewriter), rewriter.id)
    assert found.status is Status.FAIL and "roleDefinitions/write" in found.message


def test_custom_role_judged_on_the_normalisers_per_block_verdict() -> None:
    # Two blocks flattened: the second block's NotActions seem to cancel the first block's
    # roleAssignments/write, but ARM evaluates each block on its own.
    two_blocks = custom(
        "two-blocks",
        ("Microsoft.Authorization/roleAssignments/write", "*"),
        ("Microsoft.Authorization/*/Write",),
        admin=True,
    )
    unknown = az(
        RoleDefinition,
        f"{ROLES}/unknown",
        region=GLOBAL,
        name="unknown",
        custom=True,
        permissions=("*",),
        assignable_scopes=(SUB_ID,),
    )
    found = az_run(ADMIN, two_blocks, unknown)
    assert statuses(found) == {two_blocks.id: Status.FAIL, unknown.id: Status.ERROR}


# --- every identity of a VM --------------------------------------------------------------

VM = arm("microsoft.compute/virtualmachines/vm1")
SYSTEM = "11111111-0000-0000-0000-000000000001"
USER_ASSIGNED = "22222222-0000-0000-0000-000000000002"


def assignment(principal: str, name: str, role: str, admin: bool | None) -> RoleBinding:
    return az(
        RoleBinding,
        f"{SUB_ID}/providers/microsoft.authorization/roleassignments/{name}",
        region=GLOBAL,
        principal_id=principal,
        principal_type="service_account",
        role=f"{ROLES}/{role}",
        role_name=role,
        scope=SUB_ID,
        scope_level="subscription",
        admin_equivalent=admin,
    )


def vm(*refs: str, public: bool = False) -> ComputeInstance:
    return az(
        ComputeInstance,
        VM,
        state="vm running",
        os_type="linux",
        identity_ref=refs[0] if refs else None,
        identity_refs=refs,
        public_ips=("20.1.2.3",) if public else (),
    )


def test_user_assigned_identity_holding_owner_fails_beside_a_roleless_system_identity() -> None:
    found = az_run(
        IDENTITY,
        vm(SYSTEM, USER_ASSIGNED, public=True),
        assignment(USER_ASSIGNED, "a1", "Owner", True),
    )
    f = only(found, VM)
    assert f.status is Status.FAIL and f.severity is Severity.CRITICAL
    assert USER_ASSIGNED in f.message and "Owner" in f.message
    assert f.evidence["identity_refs"] == [SYSTEM, USER_ASSIGNED]


def test_union_of_identities_reader_passes_and_unknown_is_error() -> None:
    reader = assignment(USER_ASSIGNED, "a2", "Reader", False)
    assert statuses(az_run(IDENTITY, vm(SYSTEM, USER_ASSIGNED), reader)) == {VM: Status.PASS}
    unknown = assignment(USER_ASSIGNED, "a3", "mystery", None)
    assert statuses(az_run(IDENTITY, vm(SYSTEM, USER_ASSIGNED), unknown)) == {VM: Status.ERROR}
    # A snapshot that only has identity_ref is still judged on it.
    legacy = az(ComputeInstance, VM, state="vm running", identity_ref=USER_ASSIGNED)
    owner = assignment(USER_ASSIGNED, "a4", "Owner", True)
    assert statuses(az_run(IDENTITY, legacy, owner)) == {VM: Status.FAIL}


# --- alerts must watch the whole subscription --------------------------------------------

ACTION_GROUP = arm("microsoft.insights/actiongroups/ops")
RG_SCOPE = f"{SUB_ID}/resourcegroups/prod"


def alert(operation: str, **fields: object) -> AlertRule:
    base: dict[str, object] = {
        "enabled": True,
        "targets": (ACTION_GROUP,),
        "target_verified": True,
        "source_id": SUB_ID,
        "scopes": (SUB_ID,),
    }
    base.update(fields)
    return az(
        AlertRule,
        arm(f"microsoft.insights/activitylogalerts/{operation.replace('/', '-').lower()}"),
        region=GLOBAL,
        match_expr=f"category=Administrative && operationName={operation}",
        **base,
    )


def test_alert_scoped_to_a_resource_group_does_not_count() -> None:
    first, *rest = AZURE_PRIVILEGED_OPERATIONS
    rules = [alert(first, scopes=(RG_SCOPE,)), *(alert(op) for op in rest)]
    f = only(az_run(PRIV, *rules), SCOPE_ID)
    assert f.status is Status.FAIL and f.evidence["missing"] == [first]
    assert f.evidence["rules_not_subscription_wide"] == [rules[0].id]
    # One scope being the subscription is enough.
    wide = [alert(first, scopes=(RG_SCOPE, SUB_ID)), *(alert(op) for op in rest)]
    assert statuses(az_run(PRIV, *wide)) == {SCOPE_ID: Status.PASS}


def test_alert_with_a_narrowing_condition_does_not_count() -> None:
    first, *rest = AZURE_PRIVILEGED_OPERATIONS
    for narrowing in ("resourceGroup=prod", "status=Failed"):
        rules = [alert(first, narrowed_by=(narrowing,)), *(alert(op) for op in rest)]
        f = only(az_run(PRIV, *rules), SCOPE_ID)
        assert f.status is Status.FAIL and f.evidence["missing"] == [first]


def test_alert_with_unreported_scopes_is_error_not_pass() -> None:
    rules = [alert(op, scopes=()) for op in AZURE_PRIVILEGED_OPERATIONS]
    assert statuses(az_run(PRIV, *rules)) == {SCOPE_ID: Status.ERROR}
