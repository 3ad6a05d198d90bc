"""Classify google-api-core / google-auth / requests exceptions into gap reasons."""

from __future__ import annotations

from google.api_core import exceptions as gexc

from scanner.errors import one_line
from scanner.inventory import GapReason

_NOT_ENABLED = {"SERVICE_DISABLED", "accessNotConfigured", "API_DISABLED"}
_THROTTLED = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED", "quotaExceeded"}
_TIMEOUT_NAMES = {"Timeout", "ReadTimeout", "ConnectTimeout", "DeadlineExceeded", "TimeoutError"}


def reasons(exc: BaseException) -> set[str]:
    """Every machine-readable reason an API error carries (ErrorInfo and legacy errors[])."""
    found: set[str] = set()
    if isinstance(exc, gexc.GoogleAPICallError):
        if exc.reason:
            found.add(exc.reason)
        for err in exc.errors or ():
            if isinstance(err, dict) and err.get("reason"):
                found.add(str(err["reason"]))
    return found


def classify(exc: BaseException) -> tuple[GapReason, str]:
    """Gap reason and a one-line detail for an exception raised while collecting."""
    message = one_line(str(exc), limit=300)
    codes = reasons(exc)
    names = {cls.__name__ for cls in type(exc).__mro__}
    if codes & _NOT_ENABLED:
        return GapReason.NOT_ENABLED, message
    if codes & _THROTTLED or isinstance(exc, (gexc.TooManyRequests, gexc.ResourceExhausted)):
        return GapReason.THROTTLED, message
    if isinstance(exc, (gexc.Forbidden, gexc.PermissionDenied, gexc.Unauthorized)):
        return GapReason.ACCESS_DENIED, message
    if isinstance(exc, gexc.RetryError) or names & _TIMEOUT_NAMES:
        cause = exc.cause if isinstance(exc, gexc.RetryError) else None
        if cause is not None and not (names & _TIMEOUT_NAMES):
            reason, detail = classify(cause)
            return reason, f"gave up retrying: {detail}"
        return GapReason.TIMED_OUT, f"{type(exc).__name__}: {message}"
    return GapReason.ERROR, f"{type(exc).__name__}: {message}"
