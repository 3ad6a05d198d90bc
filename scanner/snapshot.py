"""The JSON evidence snapshot: a lossless, versioned serialisation of an inventory.

The format is documented in ``docs/snapshot.md``. Values are encoded from the
entity dataclasses' own type hints, so adding a field to an entity needs no change
here.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, TextIO, TypeVar

from scanner.errors import SnapshotError
from scanner.inventory import ENTITY_TYPES, Entity, Gap, GapReason, Inventory, ScanScope

SCHEMA = "cldscan.snapshot"
SCHEMA_VERSION = "1.1"
"""Major.minor; a reader accepts any minor of its own major version."""

T = TypeVar("T")


def encode_value(value: Any) -> Any:
    """Turn an inventory value into plain JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: encode_value(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [encode_value(v) for v in value]
    return value


def _decode(hint: Any, raw: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if raw is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _decode(inner[0], raw, where)
    if raw is None:
        raise SnapshotError(f"{where}: null where a value is required")
    if origin is tuple:
        if not isinstance(raw, list):
            raise SnapshotError(f"{where}: expected a list")
        return tuple(_decode(args[0], item, f"{where}[{i}]") for i, item in enumerate(raw))
    if origin in (Mapping, dict) or hint is dict:
        if not isinstance(raw, dict):
            raise SnapshotError(f"{where}: expected an object")
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return decode_dataclass(hint, raw, where)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(raw)
        except ValueError as exc:
            raise SnapshotError(f"{where}: {exc}") from None
    if hint is datetime:
        try:
            return datetime.fromisoformat(raw)
        except (TypeError, ValueError):
            raise SnapshotError(f"{where}: not an ISO 8601 date-time: {raw!r}") from None
    if hint is bool:
        if not isinstance(raw, bool):
            raise SnapshotError(f"{where}: expected true or false, got {raw!r}")
        return raw
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise SnapshotError(f"{where}: expected an integer, got {raw!r}")
        return raw
    if hint is str:
        if not isinstance(raw, str):
            raise SnapshotError(f"{where}: expected a string, got {raw!r}")
        return raw
    return raw


def decode_dataclass(cls: type[T], raw: Any, where: str) -> T:
    """Build ``cls`` from plain JSON data, checking every field against its type hint."""
    if not isinstance(raw, dict):
        raise SnapshotError(f"{where}: expected an object")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init or f.name.startswith("_"):
            continue
        if f.name in raw:
            kwargs[f.name] = _decode(hints[f.name], raw[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SnapshotError(f"{where}: missing required field {f.name!r}")
    return cls(**kwargs)


def inventory_to_dict(inv: Inventory) -> dict[str, Any]:
    entities = []
    for entity in inv.entities:
        record = encode_value(entity)
        entities.append({"kind": entity.kind, **record})
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool_version": inv.tool_version,
        "collected_at": inv.collected_at.isoformat() if inv.collected_at else None,
        "scopes": [encode_value(s) for s in inv.scopes],
        "gaps": [encode_value(g) for g in inv.gaps],
        "entities": entities,
    }


def inventory_from_dict(data: Any) -> Inventory:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise SnapshotError(f'not a cldscan snapshot (expected "schema": "{SCHEMA}")')
    version = str(data.get("schema_version", ""))
    if version.split(".", maxsplit=1)[0] != SCHEMA_VERSION.split(".", maxsplit=1)[0]:
        raise SnapshotError(
            f"snapshot schema version {version or '?'} is not supported "
            f"(this cldscan reads {SCHEMA_VERSION.split('.', maxsplit=1)[0]}.x)"
        )
    entities: list[Entity] = []
    for i, raw in enumerate(data.get("entities") or []):
        kind = raw.get("kind") if isinstance(raw, dict) else None
        cls = ENTITY_TYPES.get(str(kind))
        if cls is None:
            raise SnapshotError(f"entities[{i}]: unknown entity kind {kind!r}")
        fields = {k: v for k, v in raw.items() if k != "kind"}
        entities.append(decode_dataclass(cls, fields, f"entities[{i}]"))
    gaps = tuple(
        decode_dataclass(Gap, g, f"gaps[{i}]") for i, g in enumerate(data.get("gaps") or [])
    )
    scopes = tuple(
        decode_dataclass(ScanScope, s, f"scopes[{i}]")
        for i, s in enumerate(data.get("scopes") or [])
    )
    _check_scoped(entities, gaps, scopes)
    collected = data.get("collected_at")
    return Inventory(
        entities=tuple(entities),
        gaps=gaps,
        scopes=scopes,
        collected_at=_decode(datetime | None, collected, "collected_at"),
        tool_version=str(data.get("tool_version", "")),
    )


def _check_scoped(
    entities: Sequence[Entity], gaps: Sequence[Gap], scopes: Sequence[ScanScope]
) -> None:
    """Every entity and gap must belong to a scanned scope: checks only run for scopes,
    so an unscoped record would be silently left unevaluated."""
    if not scopes:
        raise SnapshotError('the snapshot names no scanned scope ("scopes" is empty)')
    known = {(s.provider, s.account) for s in scopes}
    records: list[tuple[str, Entity | Gap]] = [
        *((f"entities[{i}]", e) for i, e in enumerate(entities)),
        *((f"gaps[{i}]", g) for i, g in enumerate(gaps)),
    ]
    for where, record in records:
        if (record.provider, record.account) not in known:
            raise SnapshotError(
                f'{where}: {record.provider} account {record.account!r} is not in "scopes"'
            )


def write_snapshot(inv: Inventory, path: Path) -> None:
    """Write atomically: a crash mid-write leaves any earlier file at ``path`` intact
    (a FIFO or device at ``path`` is written in place, never replaced)."""
    from scanner.delivery.files import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)

    def emit(fh: TextIO) -> None:
        json.dump(inventory_to_dict(inv), fh, indent=1, sort_keys=False)
        fh.write("\n")

    write_atomic(path, emit, compress=False)


def read_snapshot(path: Path) -> Inventory:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    try:
        return inventory_from_dict(data)
    except SnapshotError as exc:
        raise SnapshotError(f"{path}: {exc}") from None


__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "GapReason",
    "inventory_from_dict",
    "inventory_to_dict",
    "read_snapshot",
    "write_snapshot",
]
