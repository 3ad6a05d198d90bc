"""Providers on the command line: each adds ``scan <name>`` and ``collect <name>``.

To add a cloud, write its options and a collector factory in ``providers/<cloud>/cli.py``
(with the shared pieces of :mod:`scanner.cli.provider_options`) and append a
``ProviderCommand`` to ``PROVIDERS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from providers.aws.cli import AWS_OPTIONS, aws_collector
from providers.azure.cli import AZURE_OPTIONS, azure_collector
from providers.gcp.cli import GCP_OPTIONS, gcp_collector
from scanner.cli.options import OutputOptions, output_options, stack
from scanner.cli.report import Collector, collect_with_progress, evaluate_and_report, select_checks
from scanner.cli.runner import COLLECT_EXIT_CODES_EPILOG, EXIT_CODES_EPILOG, exit_with
from scanner.errors import ConfigurationError, ExitCode


@dataclass(frozen=True)
class ProviderCommand:
    """How one provider plugs into ``scan`` and ``collect``: its options and a factory
    turning their values into a collector."""

    name: str
    help: str
    options: Sequence[Callable[[Any], Any]]
    make_collector: Callable[..., Collector]


PROVIDERS: list[ProviderCommand] = [
    ProviderCommand(
        name="aws",
        help="Amazon Web Services: one account (yours, or an assumed role's).",
        options=AWS_OPTIONS,
        make_collector=aws_collector,
    ),
    ProviderCommand(
        name="azure",
        help="Microsoft Azure: every subscription the identity can see, or those named.",
        options=AZURE_OPTIONS,
        make_collector=azure_collector,
    ),
    ProviderCommand(
        name="gcp",
        help="Google Cloud: every project the credentials can find, or those named.",
        options=GCP_OPTIONS,
        make_collector=gcp_collector,
    ),
]


def scan_command(provider: ProviderCommand) -> click.Command:
    def run(out: OutputOptions, **options: Any) -> int:
        started = time.monotonic()
        collector = provider.make_collector(**options)
        select_checks(out, provider.name)  # no check for this cloud: a usage error
        # Every selected check goes to the engine: the neutral ones without an instance for
        # this cloud are reported as not covering it, not silently dropped.
        checks = select_checks(out)
        inv = collect_with_progress(collector)
        return exit_with(evaluate_and_report(inv, checks, out, started))

    run.__doc__ = f"Collect and evaluate: {provider.help}"
    return click.command(provider.name, epilog=EXIT_CODES_EPILOG)(
        stack(output_options(run), provider.options)
    )


def collect_command(provider: ProviderCommand) -> click.Command:
    def run(output: Path, **options: Any) -> int:
        import structlog

        from scanner.snapshot import write_snapshot

        started = time.monotonic()
        collector = provider.make_collector(**options)
        inv = collect_with_progress(collector)
        try:
            write_snapshot(inv, output)
        except OSError as exc:
            raise ConfigurationError(f"cannot write {output}: {exc.strerror or exc}") from None
        structlog.get_logger(__name__).info(
            "collect_finished",
            entities=len(inv.entities),
            gaps=len(inv.gaps),
            snapshot=str(output),
            duration_s=round(time.monotonic() - started, 3),
        )
        return exit_with(ExitCode.INCOMPLETE if inv.gaps else ExitCode.OK)

    run.__doc__ = f"Write an inventory snapshot: {provider.help}"
    snapshot_option = click.option(
        "--output",
        "-o",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Snapshot file to write (JSON).",
    )
    return click.command(provider.name, epilog=COLLECT_EXIT_CODES_EPILOG)(
        stack(run, [snapshot_option, *provider.options])
    )
