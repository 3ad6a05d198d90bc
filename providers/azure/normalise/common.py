"""Small helpers every Azure normaliser shares."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scanner.inventory import GLOBAL

PROVIDER = "azure"


def get(obj: Any, *path: str) -> Any:
    """Walk SDK model attributes (or raw JSON dict keys), ``None`` at the first missing step.

    The TypeSpec-generated models are mappings of the wire JSON too, so attributes come
    first: only a plain ``dict`` is read by key.
    """
    for name in path:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


def lid(value: Any) -> str:
    """An ARM id lowercased (ARM ids are case-insensitive); ``""`` for none."""
    return str(value).lower() if value else ""


def lids(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lid(v) for v in values if v))


def ref_ids(refs: Iterable[Any] | None) -> tuple[str, ...]:
    """Lowercased ids of a list of ``{id: ...}`` sub-resource references."""
    return lids(get(r, "id") for r in refs or ())


def region(location: Any) -> str:
    """ARM location lowercased without spaces (``West Europe`` → ``westeurope``)."""
    return str(location).replace(" ", "").lower() if location else GLOBAL


def tags(resource: Any) -> dict[str, str]:
    found = get(resource, "tags") or {}
    return {str(k): str(v) for k, v in dict(found).items()}


def name_of(resource: Any) -> str:
    name = get(resource, "name")
    if name:
        return str(name)
    rid = str(get(resource, "id") or "")
    return rid.rsplit("/", 1)[-1]


def subscription_of(resource_id: str) -> str:
    """The subscription GUID in an ARM id (lowercased), or ``""``."""
    parts = resource_id.lower().split("/")
    if "subscriptions" in parts:
        index = parts.index("subscriptions") + 1
        if index < len(parts):
            return parts[index]
    return ""


def base(resource: Any, sub: str, *, global_scope: bool = False) -> dict[str, Any]:
    """The Entity fields every Azure resource shares."""
    return {
        "id": lid(get(resource, "id")),
        "provider": PROVIDER,
        "account": sub,
        "region": GLOBAL if global_scope else region(get(resource, "location")),
        "name": name_of(resource),
        "tags": tags(resource),
    }


def enum_str(value: Any) -> str:
    """A str enum's value, or the string itself."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))
