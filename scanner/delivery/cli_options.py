"""The delivery command-line options, turned into a checked ``Delivery``."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from scanner.delivery.config import (
    DELIVERY_FORMATS,
    FACILITIES,
    TOKEN_ENV,
    Delivery,
    hec_sink,
    retry_from_env,
    syslog_sink,
)
from scanner.errors import ConfigurationError

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

FILE_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "--output-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Write findings to a new file per run in DIR, named by provider, account "
        "and time (see docs/siem.md).",
    ),
    click.option(
        "--gzip",
        "gzip_output",
        is_flag=True,
        help="Gzip the output (implied by an --output name ending in .gz).",
    ),
    click.option(
        "--delivery-format",
        type=click.Choice(DELIVERY_FORMATS, case_sensitive=False),
        default="ocsf",
        show_default=True,
        help="Records sent to --hec-url / --syslog: OCSF events or native JSON findings. "
        "Sinks need --output or --output-dir: the file is written first.",
    ),
]
SINK_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "--hec-url",
        metavar="URL",
        help="Send each finding to this Splunk HTTP Event Collector, e.g. "
        "https://splunk.example.com:8088.",
    ),
    click.option(
        "--hec-token-env",
        metavar="NAME",
        help=f"Environment variable holding the HEC token [default: {TOKEN_ENV}].",
    ),
    click.option("--hec-index", metavar="INDEX", help="Splunk index for the events."),
    click.option(
        "--hec-sourcetype",
        metavar="TYPE",
        help="Splunk sourcetype [default: cldscan:ocsf, or cldscan:json for native records].",
    ),
    click.option("--hec-ca", type=_FILE, help="CA bundle (PEM) to verify the HEC server with."),
    click.option(
        "--syslog",
        "syslog_url",
        metavar="URL",
        help="Send each finding as RFC 5424 syslog to tcp://HOST:PORT or tls://HOST:PORT.",
    ),
    click.option("--syslog-ca", type=_FILE, help="CA bundle (PEM) to verify a tls:// receiver."),
    click.option(
        "--syslog-cert",
        type=_FILE,
        help="Client certificate (PEM) for a tls:// receiver that authenticates clients.",
    ),
    click.option(
        "--syslog-key", type=_FILE, help="Private key (PEM) of --syslog-cert, if not in it."
    ),
    click.option(
        "--syslog-facility",
        type=click.Choice(tuple(FACILITIES), case_sensitive=False),
        default="local0",
        show_default=True,
        metavar="NAME",
        help="Syslog facility of the messages (local0-7, user, daemon, auth, authpriv...).",
    ),
    click.option(
        "--delivery-attempts",
        type=click.IntRange(1, 20),
        default=5,
        show_default=True,
        help="Attempts per batch and sink, the first included, with exponential backoff.",
    ),
]
DELIVERY_OPTIONS = [*FILE_OPTIONS, *SINK_OPTIONS]


def pop_delivery(kwargs: dict[str, Any], output: Path | None) -> Delivery:
    """Take the delivery options out of a command's keyword arguments and check them."""
    output_dir: Path | None = kwargs.pop("output_dir")
    gzip_output: bool = kwargs.pop("gzip_output")
    record_format = str(kwargs.pop("delivery_format")).lower()
    if output is not None and output_dir is not None:
        raise ConfigurationError("--output and --output-dir exclude each other")
    if gzip_output and output is None and output_dir is None and sys.stdout.isatty():
        raise ConfigurationError("--gzip would write binary data to the terminal: use --output")
    sinks = pop_sinks(kwargs, record_format)
    if (sinks.hec or sinks.syslog) and output is None and output_dir is None:
        raise ConfigurationError(
            "--hec-url and --syslog need --output FILE or --output-dir DIR: "
            "findings are written to a file before delivery, so an outage loses none"
        )
    return dataclasses.replace(sinks, output_dir=output_dir, gzip=gzip_output)


def pop_sinks(kwargs: dict[str, Any], record_format: str) -> Delivery:
    """The HEC and syslog sinks of ``SINK_OPTIONS``, checked."""
    hec_url: str | None = kwargs.pop("hec_url")
    token_env: str | None = kwargs.pop("hec_token_env")
    index: str | None = kwargs.pop("hec_index")
    sourcetype: str | None = kwargs.pop("hec_sourcetype")
    hec_ca: Path | None = kwargs.pop("hec_ca")
    syslog_url: str | None = kwargs.pop("syslog_url")
    syslog_ca: Path | None = kwargs.pop("syslog_ca")
    syslog_cert: Path | None = kwargs.pop("syslog_cert")
    syslog_key: Path | None = kwargs.pop("syslog_key")
    facility = str(kwargs.pop("syslog_facility")).lower()
    attempts: int = kwargs.pop("delivery_attempts")

    if hec_url is None and (token_env or index or sourcetype or hec_ca):
        raise ConfigurationError(
            "--hec-token-env/--hec-index/--hec-sourcetype/--hec-ca need --hec-url"
        )
    if syslog_url is None and (syslog_ca or syslog_cert or syslog_key):
        raise ConfigurationError("--syslog-ca/--syslog-cert/--syslog-key need --syslog")
    hec = (
        hec_sink(
            hec_url,
            token_env=token_env,
            index=index,
            sourcetype=sourcetype or f"cldscan:{record_format}",
            ca_file=hec_ca,
        )
        if hec_url
        else None
    )
    syslog = (
        syslog_sink(
            syslog_url,
            ca_file=syslog_ca,
            facility=facility,
            client_cert=syslog_cert,
            client_key=syslog_key,
        )
        if syslog_url
        else None
    )
    return Delivery(
        record_format=record_format,
        hec=hec,
        syslog=syslog,
        retry=retry_from_env(attempts),
    )
