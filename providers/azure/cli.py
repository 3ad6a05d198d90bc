"""``scan azure`` / ``collect azure``: command-line options and the collector factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from providers.azure.options import AzureOptions
from scanner.cli.provider_options import Option, lazy_collector, max_workers_option, seconds_option

if TYPE_CHECKING:
    from scanner.cli.report import Collector


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
    return lazy_collector(
        "azure",
        AzureOptions(
            tenant=tenant,
            subscriptions=tuple(dict.fromkeys(s.lower() for s in subscriptions)),
            cloud=cloud,
            max_workers=max_workers,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
        ),
    )


AZURE_OPTIONS: list[Option] = [
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
    max_workers_option(),
    seconds_option(
        "--connect-timeout", 10.0, "Seconds to wait for a connection to Azure Resource Manager."
    ),
    seconds_option("--read-timeout", 60.0, "Seconds to wait for a response once connected."),
    click.option(
        "--max-retries",
        type=click.IntRange(min=0),
        default=3,
        show_default=True,
        metavar="N",
        help="Retries per API call after the first attempt (throttling honours Retry-After).",
    ),
]
