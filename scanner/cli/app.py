"""The ``cldscan`` group and its commands.

Heavy modules (boto3, the engine, the checks) are imported inside commands, so that
``--help`` and ``--version`` stay fast and need no cloud SDK.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from scanner import __version__
from scanner.cli.options import OutputOptions, output_options
from scanner.cli.providers import PROVIDERS, collect_command, scan_command
from scanner.cli.report import collect_with_progress, evaluate_and_report, select_checks
from scanner.cli.runner import (
    COLLECT_EXIT_CODES_EPILOG,
    EXIT_CODES_EPILOG,
    CldscanGroup,
    exit_with,
)
from scanner.cli.schedule import schedule_command
from scanner.delivery.command import deliver_cmd
from scanner.demo_parts import DEMO_PROVIDERS
from scanner.errors import ConfigurationError

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
DEMO_EXTRA = "the demo needs the demo extra: pip install 'cldscan[demo]'"


@click.group(
    "cldscan",
    cls=CldscanGroup,
    epilog=EXIT_CODES_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", "-V", prog_name="cldscan")
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="Log level on stderr [default: $CLDSCAN_LOG_LEVEL or warning].",
)
def cli(log_level: str | None) -> None:
    """Cloud posture scanner for the ISO/IEC 27017 cloud controls.

    Findings go to stdout; logs and progress to stderr.
    """
    from scanner.logs import configure

    configure(log_level)


@cli.group(epilog=EXIT_CODES_EPILOG)
def scan() -> None:
    """Collect a cloud's configuration and evaluate it."""


@cli.group(epilog=COLLECT_EXIT_CODES_EPILOG)
def collect() -> None:
    """Collect a cloud's configuration into a snapshot file, without evaluating."""


for _provider in PROVIDERS:
    scan.add_command(scan_command(_provider))
    collect.add_command(collect_command(_provider))

cli.add_command(deliver_cmd)

cli.add_command(schedule_command)


@cli.command("evaluate", epilog=EXIT_CODES_EPILOG)
@click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
@output_options
def evaluate_cmd(snapshot: Path, out: OutputOptions) -> int:
    """Evaluate a snapshot written by 'cldscan collect', offline."""
    from scanner.snapshot import read_snapshot

    started = time.monotonic()
    inv = read_snapshot(snapshot)
    checks = select_checks(out)
    return exit_with(evaluate_and_report(inv, checks, out, started))


@cli.command(epilog=EXIT_CODES_EPILOG)
@click.option(
    "--provider",
    "providers",
    multiple=True,
    type=click.Choice(DEMO_PROVIDERS),
    help="Demo cloud to scan (repeatable) [default: every one].",
)
@output_options
def demo(providers: tuple[str, ...], out: OutputOptions) -> int:
    """Scan built-in demo accounts: local fake clouds, no credentials (needs the demo extra)."""
    import importlib.util

    if importlib.util.find_spec("moto") is None:
        raise ConfigurationError(DEMO_EXTRA)
    from scanner.demo import collect_demo
    from scanner.inventory import Inventory

    started = time.monotonic()
    chosen = tuple(dict.fromkeys(providers)) or DEMO_PROVIDERS
    for provider in chosen:
        select_checks(out, provider)  # no check for a chosen cloud: a usage error
    checks = select_checks(out)
    inv = Inventory.merge(*(collect_demo(p, collect_with_progress) for p in chosen))
    return exit_with(evaluate_and_report(inv, checks, out, started))


@cli.command("checks")
@click.option("--provider", type=click.Choice(("aws", "azure", "gcp")), help="Only this provider.")
@click.option("--control", "control", metavar="CLD.x", help="Only checks of this control.")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
)
def checks_cmd(provider: str | None, control: str | None, fmt: str) -> None:
    """List the available checks."""
    import json

    from scanner.controls import CONTROLS
    from scanner.registry import load_checks
    from scanner.registry import select_checks as select

    if control and control.upper() not in CONTROLS:
        raise ConfigurationError(f"unknown control {control!r} (choose from {', '.join(CONTROLS)})")
    chosen = select(
        load_checks(),
        controls=[control.upper()] if control else (),
        providers=[provider] if provider else (),
    )
    if fmt == "json":
        records = [
            {
                "id": c.id,
                "title": c.title,
                "severity": c.severity.value,
                "controls": list(c.controls),
                "providers": list(c.providers),
                "needs": list(c.needed_kinds),
                "rationale": c.rationale,
                "remediation": dict(c.remediation),
                "references": list(c.references),
            }
            for c in chosen
        ]
        click.echo(json.dumps(records, indent=2))
        return
    from scanner.outputs.table import Table

    Table(sys.stdout).rows(
        ("ID", "SEVERITY", "CONTROLS", "PROVIDERS", "TITLE"),
        [
            (c.id, c.severity.value, ",".join(c.controls), ",".join(c.providers), c.title)
            for c in chosen
        ],
    )


@cli.command("controls")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
)
def controls_cmd(fmt: str) -> None:
    """Show the control catalogue: what is automated, what stays manual, which checks."""
    import json

    from scanner.controls import FRAMEWORK
    from scanner.registry import load_checks

    every = load_checks()
    evidence = {
        cid: [c.id for c in every.values() if cid in c.controls] for cid in FRAMEWORK.controls
    }
    if fmt == "json":
        doc = {
            "framework": FRAMEWORK.name,
            "source": FRAMEWORK.source,
            "controls": [
                {
                    "id": c.id,
                    "title": c.title,
                    "objective": c.objective,
                    "automated": list(c.automated),
                    "manual": list(c.manual),
                    "checks": evidence[c.id],
                }
                for c in FRAMEWORK.controls.values()
            ],
        }
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(f"{FRAMEWORK.name} ({FRAMEWORK.source})")
    for c in FRAMEWORK.controls.values():
        click.echo(f"\n{c.id}  {c.title}")
        click.echo(f"  {c.objective}")
        click.echo("  automated:")
        for part in c.automated:
            click.echo(f"    - {part}")
        click.echo("  manual (not evaluated by cldscan):")
        for part in c.manual:
            click.echo(f"    - {part}")
        click.echo(f"  checks: {', '.join(evidence[c.id]) or '(none)'}")


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="cldscan")
