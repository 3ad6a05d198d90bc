"""``scan aws`` / ``collect aws``: command-line options and the collector factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from providers.aws.options import AwsOptions
from scanner.cli.provider_options import Option, lazy_collector, max_workers_option, seconds_option

if TYPE_CHECKING:
    from scanner.cli.report import Collector


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
    if external_id and not role_arn:
        raise click.UsageError("--external-id needs --role-arn")
    return lazy_collector(
        "aws",
        AwsOptions(
            profile=profile,
            role_arn=role_arn,
            external_id=external_id,
            regions=tuple(dict.fromkeys(regions)),
            max_workers=max_workers,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
        ),
    )


AWS_OPTIONS: list[Option] = [
    click.option("--profile", help="Named profile from the AWS config files."),
    click.option("--role-arn", help="Assume this IAM role for the scan."),
    click.option("--external-id", help="External id for --role-arn."),
    click.option(
        "--region",
        "regions",
        multiple=True,
        help="Region to scan (repeatable) [default: every enabled region].",
    ),
    max_workers_option(),
    seconds_option(
        "--connect-timeout", 10.0, "Seconds to wait for a connection to an AWS endpoint."
    ),
    seconds_option("--read-timeout", 60.0, "Seconds to wait for a response once connected."),
    click.option(
        "--max-attempts",
        type=click.IntRange(min=1),
        default=5,
        show_default=True,
        metavar="N",
        help="Attempts per API call, the first included (adaptive retry mode).",
    ),
]
