"""Pieces every provider's command-line options share: the collector factory and the
options for concurrency and timeouts."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from providers.base import Progress
    from scanner.cli.report import Collector
    from scanner.inventory import Inventory

Option = Callable[[Any], Any]


def lazy_collector(provider: str, options: object) -> Collector:
    """A collector running ``providers.<provider>.collect(options, progress)``; the
    provider (and its SDK) is imported only when the collection starts."""

    def collect(progress: Progress) -> Inventory:
        module = importlib.import_module(f"providers.{provider}")
        inventory: Inventory = module.collect(options, progress)
        return inventory

    return collect


def max_workers_option() -> Option:
    return click.option(
        "--max-workers",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="Concurrent API calls.",
    )


def seconds_option(flag: str, default: float, help: str, *, minimum_open: bool = True) -> Option:
    return click.option(
        flag,
        type=click.FloatRange(0, min_open=minimum_open),
        default=default,
        show_default=True,
        metavar="SECONDS",
        help=help,
    )
