"""Options shared by every command that evaluates, bundled into ``OutputOptions``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from scanner.outputs import FORMATS

F = TypeVar("F", bound=Callable[..., Any])

SEVERITIES = ("info", "low", "medium", "high", "critical")
STATUSES = ("PASS", "FAIL", "ERROR")


@dataclass(frozen=True)
class OutputOptions:
    fmt: str | None
    output: Path | None
    check_ids: tuple[str, ...]
    controls: tuple[str, ...]
    severity: str | None
    fail_on: str
    statuses: tuple[str, ...]
    admin_ports: tuple[int, ...]
    key_max_age_days: int
    unused_days: int


def stack(func: F, options: Sequence[Callable[[F], F]]) -> F:
    for option in reversed(options):
        func = option(func)
    return func


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that evaluates: filters, format, thresholds."""
    options: list[Callable[[Any], Any]] = [
        click.option(
            "--format",
            "-f",
            "fmt",
            type=click.Choice(tuple(FORMATS), case_sensitive=False),
            help="Output format [default: table on a terminal, else json].",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            help="Write findings to FILE (atomically) instead of stdout.",
        ),
        click.option(
            "--check",
            "check_ids",
            multiple=True,
            metavar="ID",
            help="Run only checks whose id matches (glob, repeatable).",
        ),
        click.option(
            "--control",
            "controls",
            multiple=True,
            metavar="CLD.x",
            help="Run only checks of this control (repeatable).",
        ),
        click.option(
            "--severity",
            type=click.Choice(SEVERITIES, case_sensitive=False),
            help="Report only findings at or above this severity.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice((*SEVERITIES, "none"), case_sensitive=False),
            default="low",
            show_default=True,
            help="Exit 3 when a FAIL at or above this severity is found.",
        ),
        click.option(
            "--status",
            "statuses",
            multiple=True,
            type=click.Choice(STATUSES, case_sensitive=False),
            help="Show only findings with this status (repeatable) [default: all].",
        ),
        click.option(
            "--admin-port",
            "admin_ports",
            multiple=True,
            type=click.IntRange(0, 65535),
            help="An administrative port (repeatable) [default: 22 and 3389].",
        ),
        click.option(
            "--key-max-age-days",
            type=click.IntRange(min=1),
            default=90,
            show_default=True,
            help="Maximum age of an access key or service-account key.",
        ),
        click.option(
            "--unused-days",
            type=click.IntRange(min=1),
            default=45,
            show_default=True,
            help="A credential unused this long is stale.",
        ),
    ]

    def wrapper(**kwargs: Any) -> Any:
        out = OutputOptions(
            fmt=_lower(kwargs.pop("fmt")),
            output=kwargs.pop("output"),
            check_ids=tuple(kwargs.pop("check_ids")),
            controls=tuple(c.upper() for c in kwargs.pop("controls")),
            severity=_lower(kwargs.pop("severity")),
            fail_on=kwargs.pop("fail_on").lower(),
            statuses=tuple(s.upper() for s in kwargs.pop("statuses")),
            admin_ports=tuple(kwargs.pop("admin_ports")),
            key_max_age_days=kwargs.pop("key_max_age_days"),
            unused_days=kwargs.pop("unused_days"),
        )
        return func(out=out, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return stack(wrapper, options)


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None
