"""Endpoints, the credential and the SDK clients of one Azure scan."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import AzureAuthorityHosts, CredentialUnavailableError, DefaultAzureCredential

from providers.azure.errors import classify
from providers.azure.normalise.common import enum_str
from providers.azure.options import CLOUDS, AzureOptions
from scanner.errors import ConfigurationError, one_line

log = structlog.get_logger(__name__)

ARM_ENDPOINT_ENV = "CLDSCAN_AZURE_ARM_ENDPOINT"
AUTHORITY_ENV = "AZURE_AUTHORITY_HOST"
ARM_ENDPOINTS = {
    "public": "https://management.azure.com",
    "china": "https://management.chinacloudapi.cn",
    "usgov": "https://management.usgovcloudapi.net",
}
AUTHORITIES = {
    "public": AzureAuthorityHosts.AZURE_PUBLIC_CLOUD,
    "china": AzureAuthorityHosts.AZURE_CHINA,
    "usgov": AzureAuthorityHosts.AZURE_GOVERNMENT,
}
MICROSOFT_LOGIN_HOSTS = frozenset(urlsplit(f"https://{h}").hostname for h in AUTHORITIES.values())
LOGIN_HINT = (
    "no Azure credential found: set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
    "AZURE_CLIENT_SECRET for a service principal, run on a managed identity, or log in "
    "with `az login`"
)
LOGIN_FAILED_HINT = (
    "check AZURE_TENANT_ID, AZURE_CLIENT_ID and the client secret or certificate (or the "
    "managed identity or `az login` session) and that the login host {authority} is reachable"
)


@dataclass(frozen=True)
class Endpoints:
    arm: str
    """Resource Manager base URL, no trailing slash."""
    authority: str
    """Login host URL (https://login.microsoftonline.com or AZURE_AUTHORITY_HOST)."""

    @property
    def scope(self) -> str:
        return f"{self.arm}/.default"


def endpoints(cloud: str) -> Endpoints:
    """The cloud's endpoints, overridden by CLDSCAN_AZURE_ARM_ENDPOINT / AZURE_AUTHORITY_HOST."""
    if cloud not in CLOUDS:
        raise ConfigurationError(f"unknown Azure cloud {cloud!r} (use one of {', '.join(CLOUDS)})")
    arm = os.environ.get(ARM_ENDPOINT_ENV) or ARM_ENDPOINTS[cloud]
    authority = os.environ.get(AUTHORITY_ENV) or AUTHORITIES[cloud]
    if "://" not in authority:
        authority = f"https://{authority}"
    if urlsplit(arm).scheme != "https":
        raise ConfigurationError(f"{ARM_ENDPOINT_ENV} must be an https:// URL, got {arm!r}")
    return Endpoints(arm.rstrip("/"), authority.rstrip("/"))


class _Watched:
    """One credential of the chain, passed through; records why it failed to authenticate.

    DefaultAzureCredential reports "nothing configured" and "configured but the login
    failed" as the same exception; only its members tell them apart.
    """

    def __init__(self, inner: Any, failures: list[Exception]) -> None:
        self._inner, self._failures = inner, failures

    @property
    def _credential_name(self) -> str:
        return str(getattr(self._inner, "_credential_name", type(self._inner).__name__))

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._inner, method)(*args, **kwargs)
        except CredentialUnavailableError:
            raise
        except Exception as exc:
            self._failures.append(exc)
            raise

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self._call("get_token", *scopes, **kwargs)

    def get_token_info(self, *scopes: str, **kwargs: Any) -> Any:
        return self._call("get_token_info", *scopes, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def login_error(failures: list[Exception], authority: str) -> ConfigurationError:
    """No credential configured: how to configure one; a login that failed: why, what to check."""
    if not failures:
        return ConfigurationError(LOGIN_HINT)
    exc = failures[-1]
    cause = one_line(getattr(exc, "message", None) or str(exc) or type(exc).__name__, 240)
    cause = cause.rstrip(". ")
    hint = LOGIN_FAILED_HINT.format(authority=authority)
    return ConfigurationError(f"Azure login failed: {cause}; {hint}")


class _TenantCredential:
    """Asks the wrapped credential for tokens of one tenant (``--tenant``)."""

    def __init__(self, inner: TokenCredential, tenant: str) -> None:
        self._inner, self._tenant = inner, tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        kwargs.setdefault("tenant_id", self._tenant)
        return self._inner.get_token(*scopes, **kwargs)


def credential(options: AzureOptions, ends: Endpoints) -> TokenCredential:
    """DefaultAzureCredential for the cloud's login host, checked with one token request."""
    custom_host = urlsplit(ends.authority).hostname not in MICROSOFT_LOGIN_HOSTS
    default = DefaultAzureCredential(
        authority=ends.authority,
        # Microsoft's instance discovery does not know private/sovereign-stack hosts.
        disable_instance_discovery=custom_host,
        additionally_allowed_tenants=["*"] if options.tenant else None,
        exclude_interactive_browser_credential=True,
    )
    failures: list[Exception] = []
    default.credentials = tuple(_Watched(c, failures) for c in default.credentials)
    cred: TokenCredential = default
    if options.tenant:
        cred = _TenantCredential(cred, options.tenant)
    chained = logging.getLogger("azure.identity")
    level = chained.level
    # The chain logs every unavailable credential as a multi-line warning; our one line
    # below says what to do instead.
    chained.setLevel(logging.ERROR)
    try:
        cred.get_token(ends.scope)
    except ClientAuthenticationError as exc:
        log.debug("azure_credential_failed", error=one_line(str(exc), 500))
        raise login_error(failures, ends.authority) from None
    finally:
        chained.setLevel(level)
    return cred


@dataclass(frozen=True)
class AzureSession:
    """A credential plus the transport settings every client of the scan shares."""

    credential: TokenCredential
    endpoints: Endpoints
    options: AzureOptions

    def client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.endpoints.arm,
            "credential_scopes": [self.endpoints.scope],
            "retry_total": self.options.max_retries,
            "retry_backoff_factor": 0.5,
            "connection_timeout": self.options.connect_timeout,
            "read_timeout": self.options.read_timeout,
        }

    def client(self, cls: type[Any], subscription: str | None = None) -> Any:
        if subscription is None:
            return cls(self.credential, **self.client_kwargs())
        return cls(self.credential, subscription, **self.client_kwargs())


def open_session(options: AzureOptions) -> AzureSession:
    ends = endpoints(options.cloud)
    log.info("azure_endpoints", arm=ends.arm, authority=ends.authority)
    return AzureSession(credential(options, ends), ends, options)


INACTIVE_STATES = frozenset({"Disabled", "Deleted"})
"""Subscription states skipped unless named with --subscription (they answer no reads)."""


@dataclass(frozen=True)
class SubscriptionRef:
    id: str
    name: str
    state: str = ""


def resolve_subscriptions(session: AzureSession) -> list[SubscriptionRef]:
    """The subscriptions to scan: the ones asked for, else every one the identity sees.

    A subscription asked for that the identity cannot see is a configuration error; if
    the list itself is denied, the ones asked for are scanned as given.
    """
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    wanted = [s.strip().lower() for s in session.options.subscriptions if s.strip()]
    try:
        visible = {
            str(s.subscription_id).lower(): SubscriptionRef(
                str(s.subscription_id).lower(),
                s.display_name or str(s.subscription_id),
                enum_str(s.state),
            )
            for s in session.client(SubscriptionClient).subscriptions.list()
        }
    except HttpResponseError as exc:
        if not wanted:
            reason, detail = classify(exc)
            raise ConfigurationError(
                f"cannot list the subscriptions this identity can see ({reason.value}: "
                f"{detail}); name them with --subscription"
            ) from None
        log.warning("azure_subscriptions_unlisted", detail=classify(exc)[1])
        return [SubscriptionRef(s, s) for s in dict.fromkeys(wanted)]
    if not wanted:
        usable = [s for s in visible.values() if s.state not in INACTIVE_STATES]
        skipped = sorted(s.id for s in visible.values() if s.state in INACTIVE_STATES)
        if skipped:
            log.info("azure_subscriptions_skipped", inactive=skipped)
        if not usable:
            raise ConfigurationError("this Azure identity can see no active subscription")
        return sorted(usable, key=lambda s: s.id)
    missing = [s for s in wanted if s not in visible]
    if missing:
        raise ConfigurationError(
            f"subscription {', '.join(missing)} is not visible to this identity "
            f"(visible: {', '.join(sorted(visible)) or 'none'})"
        )
    return [visible[s] for s in dict.fromkeys(wanted)]
