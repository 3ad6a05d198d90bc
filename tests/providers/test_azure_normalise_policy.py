"""Azure policy normaliser: the Microsoft cloud security benchmark assignment and the
notScopes that take a subscription out of it."""

from __future__ import annotations

from typing import Any

import pytest
from azure.mgmt.resource.policy.models import PolicyAssignment

from fixtures.azure import arm
from providers.azure.normalise import monitor

SUB = "fb9f25f9-5785-4510-a38f-a62f188eb9f8"
SUB_ID = f"/subscriptions/{SUB}"
OTHER_ID = "/subscriptions/0a1b2c3d-0000-0000-0000-000000000000"
MG = "/providers/Microsoft.Management/managementGroups/contoso"
OTHER_MG = "/providers/Microsoft.Management/managementGroups/sandbox"


def bench(scope: str, not_scopes: list[str], **kwargs: Any) -> tuple[bool | None, bool | None]:
    body = arm.policy_assignment(scope, "mcsb", not_scopes=not_scopes, **kwargs)
    service = monitor.policy_benchmark([PolicyAssignment(body)], SUB)
    return service.enabled, service.all_resources


@pytest.mark.parametrize("scope", [MG, SUB_ID])
@pytest.mark.parametrize(
    "excluded",
    [SUB_ID, SUB_ID.upper() + "/", "/"],
)
def test_not_scopes_that_exclude_the_subscription_do_not_count(scope: str, excluded: str) -> None:
    assert bench(scope, [excluded]) == (False, None)


def test_not_scope_equal_to_the_assignments_own_management_group_excludes() -> None:
    assert bench(MG, [MG.upper()]) == (False, None)


@pytest.mark.parametrize("scope", [MG, SUB_ID])
def test_another_management_group_in_not_scopes_is_unknown_never_enabled(scope: str) -> None:
    assert bench(scope, [OTHER_MG]) == (None, None)
    service = monitor.policy_benchmark(
        [PolicyAssignment(arm.policy_assignment(scope, "mcsb", not_scopes=[OTHER_MG]))], SUB
    )
    assert "may contain this subscription" in next(iter(service.features.values()))


def test_resource_group_exclusions_keep_it_enabled_but_partial() -> None:
    assert bench(MG, [f"{SUB_ID}/resourceGroups/sandbox"]) == (True, False)
    assert bench(SUB_ID, [f"{SUB_ID}/resourceGroups/sandbox/providers/x/y/z"]) == (True, False)


def test_other_subscriptions_in_not_scopes_leave_this_one_whole() -> None:
    assert bench(MG, [OTHER_ID, f"{OTHER_ID}/resourceGroups/rg"]) == (True, True)
    assert bench(MG, []) == (True, True)


def test_do_not_enforce_with_an_unknown_exclusion_is_still_off() -> None:
    assert bench(MG, [OTHER_MG], enforcement="DoNotEnforce") == (False, None)


def test_another_enforced_assignment_that_applies_wins() -> None:
    excluded = arm.policy_assignment(MG, "mg-mcsb", not_scopes=[SUB_ID])
    maybe = arm.policy_assignment(MG, "mg2-mcsb", not_scopes=[OTHER_MG])
    own = arm.policy_assignment(SUB_ID, "SecurityCenterBuiltIn")
    service = monitor.policy_benchmark([PolicyAssignment(b) for b in (excluded, maybe, own)], SUB)
    assert (service.enabled, service.all_resources) == (True, True)
    assert sorted(service.features.values()) == [
        "Default",
        "Default (notScopes exclude this subscription)",
        "Default (notScopes name a management group that may contain this subscription)",
    ]
