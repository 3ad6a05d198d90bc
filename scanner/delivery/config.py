"""Delivery settings: where the run's file goes and which SIEM sinks receive its events.

Everything here is checked before a scan starts, so a bad URL or a missing token is a
one-line usage error rather than a wasted scan.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import ConfigurationError

if TYPE_CHECKING:
    import ssl

# ssl and urllib are imported where used: this module loads with every command's options.

TOKEN_ENV = "CLDSCAN_HEC_TOKEN"
BACKOFF_ENV = "CLDSCAN_DELIVERY_BACKOFF"
"""Base backoff in seconds (default 1); tests and impatient operators set it small."""
DELIVERY_FORMATS = ("ocsf", "json")
FACILITIES = {
    "kern": 0, "user": 1, "daemon": 3, "auth": 4, "syslog": 5, "authpriv": 10,
    "local0": 16, "local1": 17, "local2": 18, "local3": 19,
    "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}  # fmt: skip


@dataclass(frozen=True)
class Retry:
    """Attempts per batch (the first included) and the exponential backoff between them."""

    attempts: int = 5
    base_s: float = 1.0
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0


@dataclass(frozen=True)
class HecSink:
    url: str
    token: str = field(repr=False)
    index: str | None = None
    sourcetype: str = "cldscan:ocsf"
    source: str = "cldscan"
    ca_file: Path | None = None
    timeout_s: float = 30.0

    def __str__(self) -> str:
        return f"hec {self.url}"


@dataclass(frozen=True)
class SyslogSink:
    scheme: str
    """``tcp`` or ``tls``."""
    host: str
    port: int
    ca_file: Path | None = None
    facility: int = FACILITIES["local0"]
    timeout_s: float = 30.0
    client_cert: Path | None = None
    """PEM certificate (chain) for receivers that authenticate clients (mutual TLS)."""
    client_key: Path | None = None
    """Its private key, when not in ``client_cert``."""

    def __str__(self) -> str:
        return f"syslog {self.scheme}://{_host_port(self.host, self.port)}"


@dataclass(frozen=True)
class Delivery:
    """The delivery part of the output options; empty means 'write the output, no more'."""

    output_dir: Path | None = None
    gzip: bool = False
    record_format: str = "ocsf"
    hec: HecSink | None = None
    syslog: SyslogSink | None = None
    retry: Retry = Retry()
    max_batch_events: int = 500
    max_batch_bytes: int = 512 * 1024

    @property
    def sinks(self) -> tuple[HecSink | SyslogSink, ...]:
        return tuple(s for s in (self.hec, self.syslog) if s is not None)


def tls_context(
    ca_file: Path | None, cert: Path | None = None, key: Path | None = None
) -> ssl.SSLContext:
    """A verifying client context; unreadable PEM files are a usage error."""
    import ssl

    try:
        ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        if cert is not None:
            ctx.load_cert_chain(cert, key)
    except (OSError, ValueError) as exc:
        files = ", ".join(str(p) for p in (ca_file, cert, key) if p)
        raise ConfigurationError(f"cannot use the TLS files {files}: {exc}") from None
    return ctx


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def hec_sink(
    url: str,
    *,
    token_env: str | None,
    index: str | None,
    sourcetype: str,
    ca_file: Path | None,
    environ: dict[str, str] | None = None,
) -> HecSink:
    from urllib.parse import urlsplit

    env = os.environ if environ is None else environ
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"--hec-url {url!r} is not an http(s) URL like https://splunk.example.com:8088"
        )
    if parts.username or parts.password:
        raise ConfigurationError("--hec-url must not carry credentials; use --hec-token-env")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"--hec-url {url!r} must not have a query or fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigurationError(f"--hec-url {url!r} has an invalid port") from None
    name = token_env or TOKEN_ENV
    token = env.get(name, "").strip()
    if not token:
        raise ConfigurationError(
            f"--hec-url needs the HEC token in the environment variable {name} (empty or unset)"
        )
    if ca_file is not None and parts.scheme != "https":
        raise ConfigurationError("--hec-ca only applies to an https --hec-url")
    if not sourcetype.strip():
        raise ConfigurationError("--hec-sourcetype must not be empty")
    if ca_file is not None:
        tls_context(ca_file)
    return HecSink(url, token, index or None, sourcetype, ca_file=ca_file)


def syslog_sink(
    url: str,
    *,
    ca_file: Path | None,
    facility: str = "local0",
    client_cert: Path | None = None,
    client_key: Path | None = None,
) -> SyslogSink:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        raise ConfigurationError(f"--syslog {url!r} is not tcp://HOST:PORT or tls://HOST:PORT")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"--syslog {url!r} has an invalid port") from None
    if port is None or parts.path not in ("", "/") or parts.query or parts.username:
        raise ConfigurationError(f"--syslog {url!r} must be exactly {parts.scheme}://HOST:PORT")
    if (ca_file or client_cert or client_key) and parts.scheme != "tls":
        raise ConfigurationError("--syslog-ca/-cert/-key only apply to a tls:// --syslog URL")
    if client_key is not None and client_cert is None:
        raise ConfigurationError("--syslog-key needs --syslog-cert")
    if facility not in FACILITIES:
        raise ConfigurationError(
            f"unknown syslog facility {facility!r} (choose from {', '.join(FACILITIES)})"
        )
    if parts.scheme == "tls":
        tls_context(ca_file, client_cert, client_key)
    return SyslogSink(
        parts.scheme,
        parts.hostname,
        port,
        ca_file,
        FACILITIES[facility],
        client_cert=client_cert,
        client_key=client_key,
    )


def retry_from_env(attempts: int, environ: dict[str, str] | None = None) -> Retry:
    env = os.environ if environ is None else environ
    raw = env.get(BACKOFF_ENV, "").strip()
    if not raw:
        return Retry(attempts=attempts)
    try:
        base = float(raw)
    except ValueError:
        raise ConfigurationError(f"{BACKOFF_ENV}={raw!r} is not a number of seconds") from None
    if not 0 <= base <= 60:
        raise ConfigurationError(f"{BACKOFF_ENV} must be between 0 and 60 seconds")
    return Retry(attempts=attempts, base_s=base, cap_s=max(base, min(30.0, base * 30)))
