"""Small helpers shared by the AWS normalisers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

Raw = Mapping[str, Any]


def tags_of(raw: Raw, key: str = "Tags") -> dict[str, str]:
    """EC2-style ``[{"Key": k, "Value": v}]`` tags as a dict."""
    return {str(t.get("Key", "")): str(t.get("Value", "")) for t in raw.get(key) or ()}


def name_of(tags: Mapping[str, str], short_id: str) -> str:
    return tags.get("Name") or short_id


def when(value: Any) -> datetime | None:
    """A timestamp from a datetime or an ISO 8601 string; ``None`` for markers like N/A."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value or not value[0].isdigit():
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def opt_bool(raw: Raw, key: str) -> bool | None:
    value = raw.get(key)
    return value if isinstance(value, bool) else None


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
