"""The control catalogue (ISO/IEC 27017 CLD controls), loaded from package data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    objective: str
    automated: tuple[str, ...]
    manual: tuple[str, ...]


@dataclass(frozen=True)
class Framework:
    name: str
    short_name: str
    source: str
    controls: dict[str, Control]


def _load() -> Framework:
    raw = json.loads(files("scanner").joinpath("data/controls.json").read_text("utf-8"))
    controls = {
        c["id"]: Control(
            id=c["id"],
            title=c["title"],
            objective=c["objective"],
            automated=tuple(c["automated"]),
            manual=tuple(c["manual"]),
        )
        for c in raw["controls"]
    }
    return Framework(raw["framework"], raw["framework_short"], raw["source"], controls)


FRAMEWORK = _load()
CONTROLS = FRAMEWORK.controls
