"""Role definitions, role assignments and the principals they name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from providers.azure.normalise.common import PROVIDER, base, enum_str, get, lid
from scanner.arm_permissions import blocks_can_assign_roles
from scanner.inventory import GLOBAL, Principal, RoleBinding, RoleDefinition

ADMIN_ROLE_NAMES = frozenset({"Owner", "User Access Administrator"})
"""Built-in roles admin-equivalent by name even if their permissions were not listed."""
PRINCIPAL_TYPES = {
    "user": ("user", "human"),
    "group": ("group", "group"),
    "serviceprincipal": ("service_account", "service"),
    "foreigngroup": ("foreign_group", "guest"),
}


def role_definition(role: Any, sub: str) -> RoleDefinition:
    permissions = list(get(role, "permissions") or ())
    actions = tuple(dict.fromkeys(str(a) for p in permissions for a in get(p, "actions") or ()))
    not_actions = tuple(
        dict.fromkeys(str(a) for p in permissions for a in get(p, "not_actions") or ())
    )
    blocks = [
        (
            tuple(str(a) for a in get(p, "actions") or ()),
            tuple(str(a) for a in get(p, "not_actions") or ()),
        )
        for p in permissions
    ]
    custom = enum_str(get(role, "role_type")).lower() == "customrole"
    name = str(get(role, "role_name") or get(role, "name") or "")
    return RoleDefinition(
        **{**base(role, sub, global_scope=True), "name": name},
        custom=custom,
        permissions=actions,
        not_permissions=not_actions,
        assignable_scopes=tuple(lid(s) for s in get(role, "assignable_scopes") or ()),
        admin_equivalent=(name in ADMIN_ROLE_NAMES and not custom)
        or blocks_can_assign_roles(blocks),
    )


def scope_level(scope: str) -> str:
    parts = [p for p in scope.lower().split("/") if p]
    if parts[:2] == ["providers", "microsoft.management"]:
        return "management_group"
    if len(parts) == 2 and parts[0] == "subscriptions":
        return "subscription"
    if len(parts) == 4 and parts[2] == "resourcegroups":
        return "resource_group"
    if not parts:
        return "root"
    return "resource"


def role_assignment(assignment: Any, sub: str) -> RoleBinding:
    """A role assignment; ``role_name`` and ``admin_equivalent`` come from the join."""
    kind = enum_str(get(assignment, "principal_type")).lower()
    scope = lid(get(assignment, "scope"))
    return RoleBinding(
        **base(assignment, sub, global_scope=True),
        principal_id=str(get(assignment, "principal_id") or "").lower(),
        principal_type=PRINCIPAL_TYPES.get(kind, (kind, kind))[0],
        role=lid(get(assignment, "role_definition_id")),
        role_name="",
        scope=scope,
        scope_level=scope_level(scope),
        admin_equivalent=None,
    )


PRINCIPAL_KINDS = {v[0]: v[1] for v in PRINCIPAL_TYPES.values()}


def principals(bindings: Iterable[RoleBinding]) -> list[Principal]:
    """One principal per distinct principal id of the role assignments."""
    seen: dict[str, Principal] = {}
    for binding in bindings:
        pid = binding.principal_id
        if not pid or pid in seen:
            continue
        seen[pid] = Principal(
            id=pid,
            provider=PROVIDER,
            account=binding.account,
            region=GLOBAL,
            name=pid,
            principal_kind=PRINCIPAL_KINDS.get(binding.principal_type, binding.principal_type),
            mfa=None,
        )
    return list(seen.values())
