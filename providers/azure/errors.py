"""Classify azure-core exceptions into collection gap reasons."""

from __future__ import annotations

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestTimeoutError,
    ServiceResponseTimeoutError,
)

from scanner.errors import one_line
from scanner.inventory import GapReason

NOT_REGISTERED = {
    "MissingSubscriptionRegistration",
    "SubscriptionNotRegistered",
    "NoRegisteredProviderFound",
}
THROTTLED = {"TooManyRequests", "RequestThrottled", "SubscriptionRequestsThrottled"}


def error_code(exc: BaseException) -> str:
    """The ARM error code of an ``HttpResponseError`` (``error.code``), or ``""``."""
    error = getattr(exc, "error", None)
    return str(getattr(error, "code", "") or "")


def classify(exc: BaseException) -> tuple[GapReason, str]:
    """Gap reason and a one-line detail for an exception raised while collecting."""
    if isinstance(exc, ServiceRequestTimeoutError | ServiceResponseTimeoutError):
        return GapReason.TIMED_OUT, f"{type(exc).__name__}: {one_line(str(exc), 300)}"
    if isinstance(exc, HttpResponseError):
        status = exc.status_code
        code = error_code(exc)
        message = one_line(getattr(exc.error, "message", None) or exc.message or str(exc), 300)
        detail = f"HTTP {status} {code}: {message}".replace(" :", ":")
        if status in (401, 403) or isinstance(exc, ClientAuthenticationError):
            return GapReason.ACCESS_DENIED, detail
        if status == 429 or code in THROTTLED:
            return GapReason.THROTTLED, detail
        if code in NOT_REGISTERED or "not registered" in message.lower():
            return GapReason.NOT_ENABLED, detail
        return GapReason.ERROR, detail
    return GapReason.ERROR, f"{type(exc).__name__}: {one_line(str(exc), 300)}"
