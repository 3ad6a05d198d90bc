"""Output formats: each module exposes ``render(report, stream)``.

Formats are registered by name and imported only when used, so adding one is a new
module and one line here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from scanner.engine import ScanReport

FORMATS: dict[str, str] = {
    "table": "scanner.outputs.table",
    "json": "scanner.outputs.json_doc",
    "jsonl": "scanner.outputs.jsonl",
    "ocsf": "scanner.outputs.ocsf",
    "csv": "scanner.outputs.csv_rows",
    "html": "scanner.outputs.html",
}


class Renderer(Protocol):
    def __call__(self, report: ScanReport, stream: TextIO) -> None: ...


def renderer(name: str) -> Renderer:
    """The ``render`` function of the format called ``name``."""
    try:
        module = FORMATS[name]
    except KeyError:
        from scanner.errors import ConfigurationError

        raise ConfigurationError(
            f"unknown output format {name!r} (choose from {', '.join(FORMATS)})"
        ) from None
    render: Renderer = importlib.import_module(module).render
    return render


def render(report: ScanReport, stream: TextIO, fmt: str) -> None:
    renderer(fmt)(report, stream)
