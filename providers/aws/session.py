"""Credentials, account and regions of an AWS scan, and the shared boto3 clients."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from providers.aws.arns import partition_of
from providers.aws.errors import classify, error_code
from providers.aws.options import AwsOptions
from scanner.errors import ConfigurationError
from scanner.inventory import GapReason

ENABLED_OPT_IN = ("opt-in-not-required", "opted-in")


@dataclass
class AwsSession:
    """One boto3 session and one client per (service, region), created once and shared.

    boto3 sessions are not thread-safe while they create clients, so creation happens
    under a lock; the clients themselves are safe to share between threads.
    """

    session: boto3.session.Session
    config: Config
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                factory: Any = self.session
                self._clients[key] = factory.client(service, region_name=region, config=self.config)
            return self._clients[key]


def botocore_config(options: AwsOptions) -> Config:
    return Config(
        # total_max_attempts counts the first try; botocore's "max_attempts" counts retries.
        retries={"mode": "adaptive", "total_max_attempts": options.max_attempts},
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        max_pool_connections=max(10, options.max_workers),
        user_agent_extra="cldscan",
    )


def _base_session(options: AwsOptions) -> boto3.session.Session:
    try:
        return boto3.session.Session(profile_name=options.profile)
    except botocore.exceptions.ProfileNotFound as exc:
        raise ConfigurationError(
            f"AWS profile {options.profile!r} not found: check ~/.aws/config or drop --profile"
        ) from exc


def _assume_role(
    base: boto3.session.Session, options: AwsOptions, config: Config
) -> boto3.session.Session:
    """A session on the assumed role, refreshed by botocore before its credentials expire."""
    from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
    from botocore.session import Session as CoreSession

    assert options.role_arn is not None
    extra: dict[str, Any] = {"RoleSessionName": options.role_session_name}
    if options.external_id:
        extra["ExternalId"] = options.external_id
    source = base.get_credentials()
    if source is None:
        raise _no_credentials("no source credentials to assume the role with")
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=base._session.create_client,  # the botocore session behind boto3's
        source_credentials=source,
        role_arn=options.role_arn,
        extra_args=extra,
    )
    credentials = DeferredRefreshableCredentials(
        method="assume-role", refresh_using=fetcher.fetch_credentials
    )
    core: Any = CoreSession()
    core._credentials = credentials
    if base.region_name:
        core.set_config_variable("region", base.region_name)
    return boto3.session.Session(botocore_session=core)


def _no_credentials(why: str) -> ConfigurationError:
    return ConfigurationError(
        f"no AWS credentials found: {why}; set AWS_PROFILE or --profile, export "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where an instance/SSO role is available"
    )


@dataclass(frozen=True)
class Caller:
    """Who the credentials are, from STS GetCallerIdentity."""

    account: str
    partition: str
    """ARN partition of the caller's ARN: ``aws``, ``aws-cn``, ``aws-us-gov``."""


def open_session(options: AwsOptions) -> tuple[AwsSession, Caller]:
    """The scan's session and the account and partition it reaches (STS GetCallerIdentity)."""
    config = botocore_config(options)
    session = _base_session(options)
    if session.get_credentials() is None:
        raise _no_credentials("the standard credential chain came up empty")
    if options.role_arn:
        session = _assume_role(session, options, config)
    aws = AwsSession(session, config)
    region = session.region_name or "us-east-1"
    try:
        identity = aws.client("sts", region).get_caller_identity()
    except botocore.exceptions.NoCredentialsError as exc:
        raise _no_credentials(str(exc)) from exc
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        reason, detail = classify(exc)
        if reason is GapReason.ERROR and not error_code(exc):
            raise ConfigurationError(f"cannot reach AWS STS: {detail}") from exc
        raise ConfigurationError(f"AWS credentials were rejected: {detail}") from exc
    try:
        partition = partition_of(str(identity.get("Arn", "")))
    except ValueError as exc:
        raise ConfigurationError(f"AWS STS returned no usable caller ARN: {exc}") from exc
    return aws, Caller(str(identity["Account"]), partition)


@dataclass(frozen=True)
class RegionPlan:
    scan: tuple[str, ...]
    """Regions to collect."""
    not_enabled: tuple[str, ...] = ()
    """Regions the user asked for that exist but are not enabled for the account."""


def plan_regions(aws: AwsSession, options: AwsOptions, home: str) -> RegionPlan:
    """Validate ``options.regions`` against DescribeRegions; default to every enabled one."""
    try:
        # AllRegions lists every region with its opt-in status in a single call.
        listed = aws.client("ec2", home).describe_regions(AllRegions=True)["Regions"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        if options.regions:
            return RegionPlan(tuple(dict.fromkeys(options.regions)))
        raise ConfigurationError(
            f"cannot list the account's regions ({error_code(exc) or exc}); "
            "pass the regions to scan with --region"
        ) from exc
    status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in listed}
    enabled = tuple(sorted(r for r, s in status.items() if s in ENABLED_OPT_IN))
    if not options.regions:
        return RegionPlan(enabled)
    wanted = tuple(dict.fromkeys(options.regions))
    unknown = [r for r in wanted if r not in status]
    if unknown:
        raise ConfigurationError(
            f"unknown AWS region {', '.join(unknown)}; valid regions: {', '.join(sorted(status))}"
        )
    return RegionPlan(
        scan=tuple(r for r in wanted if r in enabled),
        not_enabled=tuple(r for r in wanted if r not in enabled),
    )
