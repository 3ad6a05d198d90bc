"""AWS provider: boto3 collection into the neutral inventory."""

from __future__ import annotations

from providers.aws.options import AwsOptions
from providers.base import Progress
from scanner.inventory import Inventory


def collect(options: AwsOptions, progress: Progress | None = None) -> Inventory:
    """Collect one AWS account (the caller's, or the assumed role's) into an inventory."""
    from providers.aws.scan import collect_account

    return collect_account(options, progress)


__all__ = ["AwsOptions", "collect"]
