"""Classify boto3/botocore exceptions into collection gap reasons."""

from __future__ import annotations

from scanner.errors import one_line
from scanner.inventory import GapReason

_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "UnauthorizedAccess",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequests",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
}
_NOT_ENABLED = {"OptInRequired", "SubscriptionRequiredException", "SubscriptionRequired"}
_TIMEOUTS = {
    "ReadTimeoutError",
    "ConnectTimeoutError",
    "EndpointConnectionError",
    "ConnectionClosedError",
}


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError``, or ``""``."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def classify(exc: BaseException) -> tuple[GapReason, str]:
    """Gap reason and a one-line detail for an exception raised while collecting."""
    code = error_code(exc)
    message = one_line(str(exc), limit=300)
    if code in _DENIED:
        return GapReason.ACCESS_DENIED, message
    if code in _THROTTLED:
        return GapReason.THROTTLED, message
    if code in _NOT_ENABLED or "not subscribed" in message.lower():
        return GapReason.NOT_ENABLED, message
    if code == "AuthFailure":
        # Regions that are not enabled never get this far (the region plan leaves them
        # out), so EC2's AuthFailure means these credentials were rejected for the call.
        return GapReason.ACCESS_DENIED, f"credentials rejected for this call: {message}"
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & _TIMEOUTS:
        return GapReason.TIMED_OUT, f"{type(exc).__name__}: {message}"
    return GapReason.ERROR, f"{type(exc).__name__}: {message}"
