"""Credentials, endpoints and the shared Google clients of a GCP scan.

Every client speaks REST: Compute through google-cloud-compute, Resource Manager through
google-cloud-resource-manager's REST transport, and Logging, IAM and Cloud Monitoring
through google-auth's ``AuthorizedSession`` (their generated clients are gRPC-only, and the
hand-written Logging client drops a sink's ``disabled`` flag), as are Service Usage,
Security Command Center management and the Cloud Storage JSON API (``/storage/v1``). One
base URL (``--api-endpoint`` / ``CLDSCAN_GCP_API_ENDPOINT``) therefore redirects all of them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import google.auth
import google.auth.exceptions
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry, if_exception_type
from google.auth import impersonated_credentials
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession

from providers.gcp.options import API_ENDPOINT_ENV, GcpOptions
from scanner.errors import ConfigurationError, one_line

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
HOSTS = {
    "logging": "https://logging.googleapis.com",
    "iam": "https://iam.googleapis.com",
    "monitoring": "https://monitoring.googleapis.com",
    "iamcredentials": "https://iamcredentials.googleapis.com",
    "serviceusage": "https://serviceusage.googleapis.com",
    "securitycentermanagement": "https://securitycentermanagement.googleapis.com",
    "storage": "https://storage.googleapis.com",
}
RETRYABLE = (gexc.TooManyRequests, gexc.InternalServerError, gexc.ServiceUnavailable)

Json = dict[str, Any]


def api_endpoint(options: GcpOptions) -> str | None:
    value = options.api_endpoint or os.environ.get(API_ENDPOINT_ENV) or None
    return value.rstrip("/") if value else None


def load_credentials(options: GcpOptions) -> Credentials:
    """Application default credentials, impersonating a service account if asked."""
    try:
        creds, _ = google.auth.default(scopes=list(SCOPES))
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise ConfigurationError(
            "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a key file, "
            "run 'gcloud auth application-default login', or run where workload identity "
            f"provides them ({one_line(str(exc), limit=160)})"
        ) from None
    target = options.impersonate_service_account
    if not target:
        return creds
    base = api_endpoint(options)
    override = (
        f"{base}/v1/projects/-/serviceAccounts/{target}:generateAccessToken" if base else None
    )
    return impersonated_credentials.Credentials(  # type: ignore[no-untyped-call]
        source_credentials=creds,
        target_principal=target,
        target_scopes=list(SCOPES),
        lifetime=3600,
        iam_endpoint_override=override,
    )


@dataclass
class GcpSession:
    """Credentials, endpoints and clients shared by every unit of one scan."""

    credentials: Credentials
    options: GcpOptions
    endpoint: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    @property
    def retry(self) -> Retry | None:
        if self.options.retry_deadline <= 0:
            return None
        return Retry(
            predicate=if_exception_type(*RETRYABLE),
            initial=0.2,
            maximum=8.0,
            multiplier=2.0,
            timeout=self.options.retry_deadline,
        )

    def compute(self, name: str) -> Any:
        """A google-cloud-compute client, e.g. ``compute("InstancesClient")``."""
        from google.cloud import compute_v1

        return self._client(
            f"compute:{name}",
            lambda: getattr(compute_v1, name)(
                credentials=self.credentials, client_options=self._client_options()
            ),
        )

    def projects(self) -> Any:
        """Resource Manager v3 projects client on its REST transport."""
        from google.cloud import resourcemanager_v3

        return self._client(
            "rm:projects",
            lambda: resourcemanager_v3.ProjectsClient(
                credentials=self.credentials,
                transport="rest",
                client_options=self._client_options(),
            ),
        )

    def folders(self) -> Any:
        """Resource Manager v3 folders client on its REST transport."""
        from google.cloud import resourcemanager_v3

        return self._client(
            "rm:folders",
            lambda: resourcemanager_v3.FoldersClient(
                credentials=self.credentials,
                transport="rest",
                client_options=self._client_options(),
            ),
        )

    def _client_options(self) -> ClientOptions:
        return ClientOptions(api_endpoint=self.endpoint) if self.endpoint else ClientOptions()

    def _client(self, key: str, make: Any) -> Any:
        with self._lock:
            if key not in self._clients:
                self._clients[key] = make()
            return self._clients[key]

    # --- REST over AuthorizedSession -----------------------------------------------------

    def _http(self) -> AuthorizedSession:
        # requests sessions are not thread-safe: one per worker thread.
        http: AuthorizedSession | None = getattr(self._local, "http", None)
        if http is None:
            http = AuthorizedSession(self.credentials)  # type: ignore[no-untyped-call]
            self._local.http = http
        return http

    def url(self, api: str, path: str) -> str:
        return f"{self.endpoint or HOSTS[api]}{path}"

    def get_json(self, api: str, path: str, params: Mapping[str, Any] | None = None) -> Json:
        """GET one JSON document; HTTP errors raise google.api_core exceptions."""

        def once() -> Json:
            response = self._http().get(
                self.url(api, path), params=dict(params or {}), timeout=self.options.timeout
            )
            if response.status_code >= 400:
                raise gexc.from_http_response(response)  # type: ignore[no-untyped-call]
            body: Json = response.json() if response.content else {}
            return body

        retry = self.retry
        return retry(once)() if retry else once()

    def pages(
        self, api: str, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[Json]:
        """Every item of a paged list (``nextPageToken`` / ``pageToken``)."""
        query = dict(params or {})
        if self.options.page_size:
            query["pageSize"] = self.options.page_size
        while True:
            body = self.get_json(api, path, query)
            yield from body.get(key, [])
            token = body.get("nextPageToken")
            if not token:
                return
            query["pageToken"] = token


def _naive_utc_now() -> datetime:
    """google-auth compares expiries as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def keep_on_endpoint(credentials: Credentials) -> None:
    """Stop google-auth's background regional-access-boundary lookup, which otherwise
    calls iamcredentials.googleapis.com directly, around the endpoint override.

    Sets the documented no-op boundary ("0x0") through the hook gcloud uses, when the
    installed google-auth has it.
    """
    hook = getattr(credentials, "_set_regional_access_boundary", None)
    if callable(hook):
        hook({"encodedLocations": "0x0", "expiry": _naive_utc_now() + timedelta(days=3650)})


def open_session(options: GcpOptions) -> GcpSession:
    credentials = load_credentials(options)
    endpoint = api_endpoint(options)
    if endpoint:
        keep_on_endpoint(credentials)
        source = getattr(credentials, "_source_credentials", None)
        if isinstance(source, Credentials):
            keep_on_endpoint(source)
    check_credentials(credentials)
    return GcpSession(credentials, options, endpoint)


def check_credentials(credentials: Credentials) -> None:
    """Fetch a token once, so rejected credentials stop the scan before any collection."""
    from google.auth.transport.requests import Request

    try:
        credentials.refresh(Request())  # type: ignore[no-untyped-call]
    except (google.auth.exceptions.RefreshError, google.auth.exceptions.TransportError) as exc:
        raise ConfigurationError(
            f"Google rejected the credentials: {one_line(str(exc), limit=200)}"
        ) from None
