"""Options shared by every command that evaluates, bundled into ``OutputOptions``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scanner.delivery.cli_options import DELIVERY_OPTIONS, pop_delivery
from scanner.delivery.config import Delivery
from scanner.outputs import FORMATS

if TYPE_CHECKING:
    from scanner.suppressions import Suppressions

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
    state_dir: Path | None = None
    state_name: str | None = None
    changes_only: bool = False
    suppressions: Suppressions | None = None
    delivery: Delivery = Delivery()  # noqa: RUF009 - frozen, immutable default


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
        click.option(
            "--state-dir",
            type=click.Path(file_okay=False, path_type=Path),
            envvar="CLDSCAN_STATE_DIR",
            help="Keep state between runs here: findings say new, open or resolved "
            "[env CLDSCAN_STATE_DIR].",
        ),
        click.option(
            "--state-name",
            metavar="NAME",
            help="Name of the state in --state-dir [default: provider and accounts].",
        ),
        click.option(
            "--changes-only",
            is_flag=True,
            help="Write only new and resolved findings (needs --state-dir); the exit "
            "status still follows the whole scan.",
        ),
        click.option(
            "--suppressions",
            "suppressions_file",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Accepted findings (YAML, or TOML by .toml suffix): marked suppressed, "
            "they do not fail the scan.",
        ),
        *DELIVERY_OPTIONS,
    ]

    def wrapper(**kwargs: Any) -> Any:
        output = kwargs.pop("output")
        out = OutputOptions(
            fmt=_lower(kwargs.pop("fmt")),
            output=output,
            check_ids=tuple(kwargs.pop("check_ids")),
            controls=tuple(c.upper() for c in kwargs.pop("controls")),
            severity=_lower(kwargs.pop("severity")),
            fail_on=kwargs.pop("fail_on").lower(),
            statuses=tuple(s.upper() for s in kwargs.pop("statuses")),
            admin_ports=tuple(kwargs.pop("admin_ports")),
            key_max_age_days=kwargs.pop("key_max_age_days"),
            unused_days=kwargs.pop("unused_days"),
            **_state_options(kwargs),
            delivery=pop_delivery(kwargs, output),
        )
        return func(out=out, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return stack(wrapper, options)


def _state_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """State and suppression options, checked before anything is collected."""
    state_dir, name = kwargs.pop("state_dir"), kwargs.pop("state_name")
    changes_only, path = kwargs.pop("changes_only"), kwargs.pop("suppressions_file")
    if (changes_only or name) and state_dir is None:
        flag = "--changes-only" if changes_only else "--state-name"
        raise click.UsageError(f"{flag} needs --state-dir (or CLDSCAN_STATE_DIR)")
    suppressions = None
    if path is not None:
        from scanner.suppressions import load

        suppressions = load(path)
    if name is not None:
        from scanner.state import check_name

        check_name(name)
    return {
        "state_dir": state_dir,
        "state_name": name,
        "changes_only": changes_only,
        "suppressions": suppressions,
    }


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None
