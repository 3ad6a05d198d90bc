"""Providers on the command line: each adds ``scan <name>`` and ``collect <name>``.

To add a cloud, write its options and a collector factory and append a
``ProviderCommand`` to ``PROVIDERS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from providers.gcp.cli import GCP_OPTIONS, gcp_collector
from scanner.cli.options import OutputOptions, output_options, stack
from scanner.cli.report import Collector, collect_with_progress, evaluate_and_report, select_checks
from scanner.cli.runner import COLLECT_EXIT_CODES_EPILOG, EXIT_CODES_EPILOG, exit_with
from scanner.errors import ConfigurationError, ExitCode

if TYPE_CHECKING:
    from providers.aws.options import AwsOptions
    from providers.azure.options import AzureOptions
    from providers.base import Progress
    from scanner.inventory import Inventory


@dataclass(frozen=True)
class ProviderCommand:
    """How one provider plugs into ``scan`` and ``collect``: its options and a factory
    turning their values into a collector."""

    name: str
    help: str
    options: Sequence[Callable[[Any], Any]]
    make_collector: Callable[..., Collector]


def aws_collector(
    *,
    profile: str | None,
    role_arn: str | None,
    external_id: str | None,
    regions: tuple[str, ...],
    max_workers: int,
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int,
) -> Collector:
    from providers.aws.options import AwsOptions

    if external_id and not role_arn:
        raise click.UsageError("--external-id needs --role-arn")
    return aws_options_collector(
        AwsOptions(
            profile=profile,
            role_arn=role_arn,
            external_id=external_id,
            regions=tuple(dict.fromkeys(regions)),
            max_workers=max_workers,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
        )
    )


def aws_options_collector(options: AwsOptions) -> Collector:
    """A collector for one AWS account under ``options``."""

    def collect(progress: Progress) -> Inventory:
        from providers.aws import collect as aws_collect

        return aws_collect(options, progress)

    return collect


AWS_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--profile", help="Named profile from the AWS config files."),
    click.option("--role-arn", help="Assume this IAM role for the scan."),
    click.option("--external-id", help="External id for --role-arn."),
    click.option(
        "--region",
        "regions",
        multiple=True,
        help="Region to scan (repeatable) [default: every enabled region].",
    ),
    click.option(
        "--max-workers",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="Concurrent API calls.",
    ),
    click.option(
        "--connect-timeout",
        type=click.FloatRange(0, min_open=True),
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds to wait for a connection to an AWS endpoint.",
    ),
    click.option(
        "--read-timeout",
        type=click.FloatRange(0, min_open=True),
        default=60.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds to wait for a response once connected.",
    ),
    click.option(
        "--max-attempts",
        type=click.IntRange(min=1),
        default=5,
        show_default=True,
        metavar="N",
        help="Attempts per API call, the first included (adaptive retry mode).",
    ),
]


def azure_collector(
    *,
    tenant: str | None,
    subscriptions: tuple[str, ...],
    cloud: str,
    max_workers: int,
    connect_timeout: float,
    read_timeout: float,
    max_retries: int,
) -> Collector:
    from providers.azure.options import AzureOptions

    return azure_options_collector(
        AzureOptions(
            tenant=tenant,
            subscriptions=tuple(dict.fromkeys(s.lower() for s in subscriptions)),
            cloud=cloud,
            max_workers=max_workers,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
        )
    )


def azure_options_collector(options: AzureOptions) -> Collector:
    """A collector for the Azure subscriptions in scope under ``options``."""

    def collect(progress: Progress) -> Inventory:
        from providers.azure import collect as azure_collect

        return azure_collect(options, progress)

    return collect


AZURE_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "--tenant",
        metavar="ID",
        help="Entra ID tenant to authenticate in [default: the credential's own, "
        "e.g. AZURE_TENANT_ID].",
    ),
    click.option(
        "--subscription",
        "subscriptions",
        multiple=True,
        metavar="ID",
        help="Subscription to scan (repeatable) [default: every subscription the identity "
        "can see].",
    ),
    click.option(
        "--cloud",
        type=click.Choice(["public", "china", "usgov"]),
        default="public",
        show_default=True,
        help="National cloud (CLDSCAN_AZURE_ARM_ENDPOINT and AZURE_AUTHORITY_HOST override "
        "its endpoints).",
    ),
    click.option(
        "--max-workers",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="Concurrent API calls.",
    ),
    click.option(
        "--connect-timeout",
        type=click.FloatRange(0, min_open=True),
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds to wait for a connection to Azure Resource Manager.",
    ),
    click.option(
        "--read-timeout",
        type=click.FloatRange(0, min_open=True),
        default=60.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds to wait for a response once connected.",
    ),
    click.option(
        "--max-retries",
        type=click.IntRange(min=0),
        default=3,
        show_default=True,
        metavar="N",
        help="Retries per API call after the first attempt (throttling honours Retry-After).",
    ),
]

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
        checks = select_checks(out, provider.name)
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
