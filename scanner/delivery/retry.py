"""Retrying one batch: exponential backoff with jitter, Retry-After honoured."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import structlog

from scanner.delivery.config import Retry

T = TypeVar("T")
log = structlog.get_logger(__name__)
_RNG = random.Random()


class Transient(Exception):
    """A failure worth retrying (connection error, 429, 5xx); ``retry_after`` in seconds
    when the receiver asked for a pause."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(Exception):
    """A failure no retry can fix (bad token, rejected data, wrong URL)."""


class GaveUp(Exception):
    """Every attempt failed with a transient error; the message is the last one."""


def backoff(policy: Retry, retry: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``retry`` (1-based): half fixed, half random,
    so many scanners retrying one collector spread out."""
    ceiling = min(policy.cap_s, policy.base_s * 2.0 ** (retry - 1))
    return ceiling / 2 + (rng or _RNG).uniform(0, ceiling / 2)


def with_retry(
    send: Callable[[], T],
    policy: Retry,
    *,
    sink: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``send`` until it succeeds, raises ``Permanent``, or attempts run out."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return send()
        except Transient as exc:
            if attempt == policy.attempts:
                raise GaveUp(f"{exc} (after {attempt} attempts)") from exc
            wait = backoff(policy, attempt)
            if exc.retry_after is not None:
                wait = max(wait, min(exc.retry_after, policy.max_retry_after_s))
            log.warning(
                "delivery_retry", sink=sink, attempt=attempt, wait_s=round(wait, 3), error=str(exc)
            )
            sleep(wait)
    raise AssertionError("unreachable: attempts >= 1")  # pragma: no cover
