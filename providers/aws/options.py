"""Options of an AWS scan, as the CLI passes them to the provider."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AwsOptions:
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    role_session_name: str = "cldscan"
    regions: tuple[str, ...] = ()
    """Regions to scan; empty means every region enabled for the account."""
    max_workers: int = 8
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    page_size: int | None = None
    """Items per list call where the API takes a page size; ``None`` keeps AWS's default."""
