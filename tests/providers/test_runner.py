"""The generic unit runner and the AWS error classifier, without any server."""

from __future__ import annotations

from collections.abc import Iterator

import botocore.exceptions
import pytest

from providers.aws.errors import classify
from providers.runner import Unit, run_units
from scanner.inventory import Entity, Gap, GapReason, Network


def _net(n: int) -> Network:
    return Network(id=f"net-{n}", provider="aws", account="1", region="r")


def _partial() -> Iterator[Entity | Gap]:
    yield _net(1)
    yield _net(2)
    raise botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeVpcs"
    )


def _fine() -> Iterator[Entity | Gap]:
    yield _net(3)
    yield Gap("aws", "1", "r", "ec2:GetThing", ("network",), GapReason.THROTTLED, "slow")


def test_runner_keeps_partial_results_and_orders_output() -> None:
    units = [
        Unit("aws", "1", "r", "ec2:DescribeVpcs", ("network",), _partial),
        Unit("aws", "1", "r", "ec2:Other", ("network",), _fine),
    ]
    seen: list[tuple[int, int, str]] = []
    out = run_units(units, classify, max_workers=2, progress=lambda *a: seen.append(a))
    assert [e.id for e in out.entities] == ["net-1", "net-2", "net-3"]
    assert [(g.operation, g.reason) for g in out.gaps] == [
        ("ec2:DescribeVpcs", GapReason.ACCESS_DENIED),
        ("ec2:GetThing", GapReason.THROTTLED),
    ]
    assert sorted(s[0] for s in seen) == [1, 2] and {s[1] for s in seen} == {2}


def _client_error(code: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "m"}}, "Op")


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (_client_error("UnauthorizedOperation"), GapReason.ACCESS_DENIED),
        (_client_error("AuthorizationError"), GapReason.ACCESS_DENIED),
        (_client_error("RequestLimitExceeded"), GapReason.THROTTLED),
        (_client_error("TooManyRequestsException"), GapReason.THROTTLED),
        (_client_error("OptInRequired"), GapReason.NOT_ENABLED),
        (_client_error("SubscriptionRequiredException"), GapReason.NOT_ENABLED),
        (_client_error("AuthFailure"), GapReason.ACCESS_DENIED),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="http://x"), GapReason.TIMED_OUT),
        (botocore.exceptions.ConnectTimeoutError(endpoint_url="http://x"), GapReason.TIMED_OUT),
        (botocore.exceptions.EndpointConnectionError(endpoint_url="http://x"), GapReason.TIMED_OUT),
        (_client_error("InternalError"), GapReason.ERROR),
        (KeyError("Reservations"), GapReason.ERROR),
    ],
)
def test_classifier(exc: Exception, reason: GapReason) -> None:
    got, detail = classify(exc)
    assert got is reason
    assert "\n" not in detail


def test_auth_failure_says_the_credentials_were_rejected() -> None:
    reason, detail = classify(_client_error("AuthFailure"))
    assert reason is GapReason.ACCESS_DENIED
    assert detail.startswith("credentials rejected for this call: ") and "AuthFailure" in detail
