"""Azure RBAC action patterns: which role definitions let their holder grant access."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write"
"""The operation that lets a principal give any role, itself included, to anyone."""


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
    """Admin-equivalent: the role may write role assignments (Owner, User Access
    Administrator, Role Based Access Control Administrator, ``*`` or
    ``Microsoft.Authorization/*`` custom roles), unless its NotActions take that away
    (Contributor). Data actions never grant it."""
    return grants(actions, not_actions, ROLE_ASSIGNMENT_WRITE)
