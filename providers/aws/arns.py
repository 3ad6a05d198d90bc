"""ARNs of the entities cldscan references across AWS records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ctx:
    """Where a record was collected: every normaliser needs it to build ids."""

    account: str
    region: str

    def ec2(self, resource: str, short_id: str, account: str | None = None) -> str:
        return f"arn:aws:ec2:{self.region}:{account or self.account}:{resource}/{short_id}"

    def image(self, image_id: str) -> str:
        return f"arn:aws:ec2:{self.region}::image/{image_id}"

    def snapshot(self, snapshot_id: str) -> str:
        return f"arn:aws:ec2:{self.region}::snapshot/{snapshot_id}"

    def iam(self, resource: str) -> str:
        return f"arn:aws:iam::{self.account}:{resource}"

    @property
    def root(self) -> str:
        return f"arn:aws:iam::{self.account}:root"

    def log_group(self, name: str) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}"


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
