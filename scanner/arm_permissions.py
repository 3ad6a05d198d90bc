"""Azure RBAC action patterns: which role definitions let their holder grant access."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write"
"""The operation that lets a principal give any role, itself included, to anyone."""
ROLE_DEFINITION_WRITE = "Microsoft.Authorization/roleDefinitions/write"
"""The operation that lets a principal rewrite a custom role, its own included, to add
role-assignment writes (or anything else)."""
ADMIN_OPERATIONS = (ROLE_ASSIGNMENT_WRITE, ROLE_DEFINITION_WRITE)


@lru_cache(maxsize=512)
def _pattern(action: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in action.split("*")), re.IGNORECASE)


def action_matches(pattern: str, operation: str) -> bool:
    """Whether an RBAC action pattern (``*`` = any run of characters) covers the operation.

    ARM compares operation names case-insensitively.
    """
    return _pattern(pattern.strip()).fullmatch(operation) is not None


def grants(actions: Iterable[str], not_actions: Iterable[str], operation: str) -> bool:
    """Whether ``actions`` minus ``not_actions`` allow the operation (control plane only)."""
    if not any(action_matches(a, operation) for a in actions):
        return False
    return not any(action_matches(n, operation) for n in not_actions)


def can_assign_roles(actions: Iterable[str], not_actions: Iterable[str]) -> bool:
    """Admin-equivalent (one permission block): the role may write role assignments (Owner,
    User Access Administrator, Role Based Access Control Administrator, ``*`` or
    ``Microsoft.Authorization/*`` custom roles) or role definitions (it can rewrite itself
    to gain the former), unless its NotActions take that away (Contributor). Data actions
    never grant it."""
    actions, not_actions = tuple(actions), tuple(not_actions)
    return any(grants(actions, not_actions, op) for op in ADMIN_OPERATIONS)


def blocks_can_assign_roles(blocks: Iterable[tuple[Iterable[str], Iterable[str]]]) -> bool:
    """Admin-equivalent over a role's permission blocks: ARM takes each block's actions
    minus that block's NotActions and unions the blocks, so one block's NotActions never
    remove another block's actions."""
    return any(can_assign_roles(actions, not_actions) for actions, not_actions in blocks)
