"""Azure normalisers: who can grant access, every identity of a VM, what an alert watches."""

from __future__ import annotations

from typing import Any

import pytest
from azure.mgmt.authorization.v2022_04_01.models import RoleDefinition
from azure.mgmt.compute.models import VirtualMachine
from azure.mgmt.monitor.models import ActivityLogAlertResource

from fixtures.azure import arm
from providers.azure.normalise import compute, identity, monitor
from scanner.arm_permissions import action_matches, can_assign_roles

SUB = "fb9f25f9-5785-4510-a38f-a62f188eb9f8"
SUB_ID = f"/subscriptions/{SUB}"


def _role(guid: str, **kwargs: Any) -> bool | None:
    body = arm.role_definition(SUB, guid, **kwargs)
    return identity.role_definition(RoleDefinition.deserialize(body), SUB).admin_equivalent


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ("*", True),
        ("Microsoft.Authorization/*", True),
        ("microsoft.authorization/ROLEASSIGNMENTS/write", True),
        ("Microsoft.Authorization/*/Write", True),
        ("*/write", True),
        ("Microsoft.Authorization/roleAssignments/*", True),
        ("Microsoft.Authorization/roleAssignments/read", False),
        ("*/read", False),
        ("Microsoft.Authorization/policyAssignments/*", False),
        ("Microsoft.Compute/*", False),
    ],
)
def test_action_patterns(pattern: str, matches: bool) -> None:
    assert action_matches(pattern, "Microsoft.Authorization/roleAssignments/write") is matches


@pytest.mark.parametrize(
    ("guid", "admin"),
    [
        (arm.OWNER, True),
        (arm.USER_ACCESS_ADMIN, True),
        (arm.RBAC_ADMIN, True),
        (arm.CONTRIBUTOR, False),
        (arm.READER, False),
    ],
)
def test_builtin_roles_admin_when_they_can_write_role_assignments(guid: str, admin: bool) -> None:
    assert _role(guid) is admin


def test_custom_roles_judged_by_effective_actions() -> None:
    assert _role("c1", name="authz", custom=True, actions=["Microsoft.Authorization/*"]) is True
    assert _role("c2", name="wild", custom=True, actions=["*"]) is True
    contributor_clone = _role(
        "c3",
        name="clone",
        custom=True,
        actions=["*"],
        not_actions=["Microsoft.Authorization/*/Write", "Microsoft.Authorization/*/Delete"],
    )
    assert contributor_clone is False
    vm_operator = _role(
        "c4", name="ops", custom=True, actions=["Microsoft.Compute/virtualMachines/*"]
    )
    assert vm_operator is False


def test_role_definition_writes_are_admin_equivalent() -> None:
    # A custom role that can rewrite role definitions can rewrite itself to gain
    # roleAssignments/write.
    assert _role(
        "c6", name="rw", custom=True, actions=["Microsoft.Authorization/roleDefinitions/write"]
    )
    assert _role(
        "c7", name="rd", custom=True, actions=["Microsoft.Authorization/roleDefinitions/*"]
    )
    assert can_assign_roles(("microsoft.authorization/ROLEDEFINITIONS/write",), ()) is True
    assert (
        can_assign_roles(
            ("Microsoft.Authorization/roleDefinitions/write",),
            ("Microsoft.Authorization/roleDefinitions/write",),
        )
        is False
    )


def test_each_permission_block_is_evaluated_on_its_own() -> None:
    body = arm.role_definition(SUB, "c8", name="two", custom=True, actions=["*"])
    body["properties"]["permissions"] = [
        {"actions": ["Microsoft.Authorization/roleAssignments/write"], "notActions": []},
        {"actions": ["*"], "notActions": ["Microsoft.Authorization/*/Write"]},
    ]
    role = identity.role_definition(RoleDefinition.deserialize(body), SUB)
    assert role.admin_equivalent is True
    # the entity's fields stay the flattened union
    assert role.permissions == ("Microsoft.Authorization/roleAssignments/write", "*")
    assert role.not_permissions == ("Microsoft.Authorization/*/Write",)
    # two blocks that each cannot grant access still cannot
    body["properties"]["permissions"] = [
        {"actions": ["Microsoft.Compute/*"], "notActions": []},
        {"actions": ["*"], "notActions": ["Microsoft.Authorization/*/Write"]},
    ]
    assert identity.role_definition(RoleDefinition.deserialize(body), SUB).admin_equivalent is False


def test_data_actions_do_not_count() -> None:
    body = arm.role_definition(SUB, "c5", name="blob", custom=True, actions=["*/read"])
    body["properties"]["permissions"][0]["dataActions"] = ["*"]
    role = identity.role_definition(RoleDefinition.deserialize(body), SUB)
    assert role.admin_equivalent is False
    assert not can_assign_roles(("*/read",), ())


SYSTEM = "11111111-0000-0000-0000-000000000001"
USER_ASSIGNED = "22222222-0000-0000-0000-000000000002"
SECOND = "33333333-0000-0000-0000-000000000003"
UAI = (
    "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
)


def _vm(**kwargs: Any) -> VirtualMachine:
    return VirtualMachine(
        arm.vm(SUB, "rg", "v", location="westeurope", nic_ids=["/x/nic"], **kwargs)
    )


def test_vm_records_system_and_every_user_assigned_identity() -> None:
    both = compute.virtual_machine(
        _vm(principal_id=SYSTEM.upper(), user_assigned={UAI + "a": USER_ASSIGNED}), SUB
    )
    assert both.identity_ref == SYSTEM
    assert both.identity_refs == (SYSTEM, USER_ASSIGNED)
    users = compute.virtual_machine(
        _vm(user_assigned={UAI + "a": USER_ASSIGNED, UAI + "b": SECOND}), SUB
    )
    assert users.identity_ref == USER_ASSIGNED
    assert users.identity_refs == (USER_ASSIGNED, SECOND)
    none = compute.virtual_machine(_vm(), SUB)
    assert none.identity_ref is None and none.identity_refs == ()


OP = "Microsoft.Authorization/policyAssignments/write"


def _alert(**kwargs: Any) -> Any:
    body = arm.activity_alert(SUB, "rg", "a", operation=OP, **kwargs)
    return monitor.activity_log_alert(ActivityLogAlertResource.deserialize(body), SUB, {})


def test_alert_scopes_are_recorded_lowercased() -> None:
    assert _alert().scopes == (SUB_ID,)
    rg = f"/subscriptions/{SUB}/resourceGroups/Prod"
    assert _alert(scopes=[rg]).scopes == (rg.lower(),)


@pytest.mark.parametrize(
    ("extra", "narrowed"),
    [
        ([], ()),
        ([{"field": "resourceType", "equals": "Microsoft.Authorization/policyAssignments"}], ()),
        ([{"field": "resourceGroup", "equals": "prod"}], ("resourceGroup=prod",)),
        ([{"field": "status", "equals": "Failed"}], ("status=Failed",)),
        ([{"field": "level", "equals": "Error"}], ("level=Error",)),
        (
            [{"field": "resourceType", "equals": "Microsoft.Compute/virtualMachines"}],
            ("resourceType=Microsoft.Compute/virtualMachines",),
        ),
        (
            [
                {
                    "anyOf": [
                        {"field": "caller", "equals": "a@example.com"},
                        {"field": "caller", "equals": "b@example.com"},
                    ]
                }
            ],
            ("(caller=a@example.com || caller=b@example.com)",),
        ),
        # A branch on the operation lets every such event through the anyOf.
        (
            [
                {
                    "anyOf": [
                        {"field": "operationName", "equals": OP},
                        {"field": "resourceGroup", "equals": "prod"},
                    ]
                }
            ],
            (),
        ),
    ],
)
def test_alert_conditions_that_narrow(extra: list[Any], narrowed: tuple[str, ...]) -> None:
    assert _alert(extra=extra).narrowed_by == narrowed
