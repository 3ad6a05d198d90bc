"""Shared helpers of the GCP normalisers: the project context, links, zones, times."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scanner.inventory import GLOBAL

Json = Mapping[str, Any]
PROVIDER = "gcp"
CRM = "//cloudresourcemanager.googleapis.com"


@dataclass(frozen=True)
class Ctx:
    """The project a record belongs to."""

    project: str

    @property
    def native_id(self) -> str:
        return f"{CRM}/projects/{self.project}"

    def base(self, id_: str, region: str, name: str = "", tags: Json | None = None) -> Any:
        """Keyword arguments every entity of this project takes."""
        return {
            "id": id_,
            "provider": PROVIDER,
            "account": self.project,
            "region": region,
            "name": name,
            "tags": dict(tags or {}),
        }


def last(link: str) -> str:
    """The last path segment of a selfLink or resource name."""
    return link.rstrip("/").rsplit("/", 1)[-1]


def region_of_zone(zone: str) -> str:
    """``us-central1-a`` (or its URL) → ``us-central1``."""
    return last(zone).rsplit("-", 1)[0]


def location_region(item: Json) -> str:
    """Region of a zonal or regional compute resource; GLOBAL when it has neither."""
    if item.get("zone"):
        return region_of_zone(str(item["zone"]))
    if item.get("region"):
        return last(str(item["region"]))
    return GLOBAL


def project_of(link: str) -> str:
    """The project id inside a compute URL or resource name, or ``""``."""
    parts = link.split("/")
    return parts[parts.index("projects") + 1] if "projects" in parts[:-1] else ""


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (any fraction length) or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:
        head, _, rest = text.partition(".")
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        zone = rest[len(digits) :]
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def metadata_items(metadata: Json | None) -> dict[str, str]:
    """``{"items": [{"key", "value"}]}`` as a dict."""
    items = (metadata or {}).get("items") or []
    return {str(i.get("key")): str(i.get("value", "")) for i in items if "key" in i}


_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_bool(value: str | None) -> bool | None:
    """A boolean metadata value as Google's guest agent reads it (Go's strconv.ParseBool);
    ``None`` when absent or not one of those spellings."""
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None
