"""Options of a GCP scan, as the CLI passes them to the provider."""

from __future__ import annotations

from dataclasses import dataclass

API_ENDPOINT_ENV = "CLDSCAN_GCP_API_ENDPOINT"
"""Base URL every REST call goes to instead of the *.googleapis.com hosts."""


@dataclass(frozen=True)
class GcpOptions:
    projects: tuple[str, ...] = ()
    """Project ids to scan; empty means every active project the credentials can find."""
    organization: str | None = None
    """Limit project discovery to direct children of ``organizations/<id>``."""
    folder: str | None = None
    """Limit project discovery to direct children of ``folders/<id>``."""
    impersonate_service_account: str | None = None
    api_endpoint: str | None = None
    """Overrides ``CLDSCAN_GCP_API_ENDPOINT``; ``None`` reads the environment."""
    max_workers: int = 8
    timeout: float = 60.0
    """Seconds per HTTP request."""
    retry_deadline: float = 30.0
    """Seconds to keep retrying a call answered 429 / 500 / 503 (0: no retries)."""
    page_size: int | None = None
    """Items per list page where the API takes a size; ``None`` keeps Google's default."""
