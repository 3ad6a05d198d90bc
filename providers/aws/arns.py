"""ARNs of the entities cldscan references across AWS records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ctx:
    """Where a record was collected: every normaliser needs it to build ids."""

    account: str
    region: str
    partition: str = "aws"
    """ARN partition: ``aws``, ``aws-cn``, ``aws-us-gov`` (from the caller identity's ARN)."""

    def ec2(self, resource: str, short_id: str, account: str | None = None) -> str:
        owner = account or self.account
        return f"arn:{self.partition}:ec2:{self.region}:{owner}:{resource}/{short_id}"

    def image(self, image_id: str) -> str:
        return f"arn:{self.partition}:ec2:{self.region}::image/{image_id}"

    def snapshot(self, snapshot_id: str) -> str:
        return f"arn:{self.partition}:ec2:{self.region}::snapshot/{snapshot_id}"

    def iam(self, resource: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:{resource}"

    @property
    def root(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"

    def log_group(self, name: str) -> str:
        return self.regional("logs", f"log-group:{name}")

    def regional(self, service: str, resource: str) -> str:
        """``arn:<partition>:<service>:<region>:<account>:<resource>``."""
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"


def partition_of(arn: str) -> str:
    """The partition of an ARN (``arn:aws-us-gov:sts::...`` -> ``aws-us-gov``)."""
    parts = arn.split(":", 2)
    if len(parts) < 3 or parts[0] != "arn" or not parts[1]:
        raise ValueError(f"not an ARN: {arn!r}")
    return parts[1]


_EC2_PREFIXES = {
    "i": "instance",
    "vol": "volume",
    "sg": "security-group",
    "acl": "network-acl",
    "vpc": "vpc",
    "subnet": "subnet",
    "eni": "network-interface",
    "pcx": "vpc-peering-connection",
    "rtb": "route-table",
    "fl": "vpc-flow-log",
}


def ec2_arn_for(ctx: Ctx, short_id: str) -> str:
    """ARN of an EC2 id by its prefix (``vpc-...`` -> ``...:vpc/vpc-...``); unknown ids as-is."""
    resource = _EC2_PREFIXES.get(short_id.split("-", 1)[0])
    return ctx.ec2(resource, short_id) if resource else short_id
