"""``scan gcp`` / ``collect gcp``: command-line options and the collector factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from providers.gcp.options import GcpOptions
from scanner.cli.provider_options import Option, lazy_collector, max_workers_option, seconds_option

if TYPE_CHECKING:
    from scanner.cli.report import Collector


def gcp_collector(
    *,
    projects: tuple[str, ...],
    organization: str | None,
    folder: str | None,
    impersonate_service_account: str | None,
    api_endpoint: str | None,
    max_workers: int,
    timeout: float,
    retry_deadline: float,
) -> Collector:
    if organization and folder:
        raise click.UsageError("--organization and --folder are exclusive")
    if projects and (organization or folder):
        raise click.UsageError("--project names the projects: drop --organization/--folder")
    return lazy_collector(
        "gcp",
        GcpOptions(
            projects=tuple(dict.fromkeys(projects)),
            organization=organization,
            folder=folder,
            impersonate_service_account=impersonate_service_account,
            api_endpoint=api_endpoint,
            max_workers=max_workers,
            timeout=timeout,
            retry_deadline=retry_deadline,
        ),
    )


GCP_OPTIONS: list[Option] = [
    click.option(
        "--project",
        "projects",
        multiple=True,
        help="Project id to scan (repeatable) [default: every active project the "
        "credentials can find through Resource Manager].",
    ),
    click.option(
        "--organization",
        metavar="ID",
        help="Discover only the projects directly under organizations/ID.",
    ),
    click.option(
        "--folder", metavar="ID", help="Discover only the projects directly under folders/ID."
    ),
    click.option(
        "--impersonate-service-account",
        metavar="EMAIL",
        help="Scan as this service account (the credentials need "
        "roles/iam.serviceAccountTokenCreator on it).",
    ),
    click.option(
        "--api-endpoint",
        metavar="URL",
        help="Send every Google API call to this base URL (a private or restricted "
        "endpoint behind a proxy) [env: CLDSCAN_GCP_API_ENDPOINT].",
    ),
    max_workers_option(),
    seconds_option("--timeout", 60.0, "Seconds to wait for each Google API response."),
    click.option(
        "--retry-deadline",
        type=click.FloatRange(0),
        default=30.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds to keep retrying a call answered 429, 500 or 503 (0: no retries).",
    ),
]
