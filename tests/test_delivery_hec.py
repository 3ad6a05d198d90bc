"""Splunk HEC delivery against a local collector: batching, auth, outages, TLS."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from scanner.delivery.config import Delivery, HecSink, Retry
from scanner.delivery.hec import HecClient, _retry_after
from scanner.delivery.retry import Permanent, Transient, backoff
from scanner.delivery.run import deliver_to
from tests.delivery_listeners import TOKEN, Hec, hec_server, make_cert

FAST = Retry(attempts=4, base_s=0.001, cap_s=0.01)


def events(n: int) -> list[str]:
    return [json.dumps({"n": i, "message": f"finding {i}"}) for i in range(n)]


def cfg(**kw: object) -> Delivery:
    return Delivery(retry=FAST, max_batch_events=10, max_batch_bytes=100_000, **kw)  # type: ignore[arg-type]


def sink(url: str, **kw: object) -> HecSink:
    return HecSink(url, TOKEN, **kw)  # type: ignore[arg-type]


def test_batches_arrive_once_with_token_index_and_sourcetype() -> None:
    with hec_server() as hec:
        result = deliver_to(
            HecClient(sink(hec.url, index="sec", sourcetype="cldscan:ocsf"), host="scanner-1"),
            events(25),
            25,
            cfg(),
            name="hec",
        )
    assert result.ok and result.delivered == 25
    assert hec.requests == 3  # 10 + 10 + 5
    assert set(hec.auth_headers) == {f"Splunk {TOKEN}"}
    assert set(hec.paths) == {"/services/collector/event"}
    assert [e["event"]["n"] for e in hec.events] == list(range(25))
    first = hec.events[0]
    assert first["index"] == "sec" and first["sourcetype"] == "cldscan:ocsf"
    assert first["host"] == "scanner-1" and first["source"] == "cldscan"
    assert isinstance(first["time"], float)


def test_ocsf_event_time_becomes_the_hec_time() -> None:
    with hec_server() as hec:
        ocsf = json.dumps({"class_uid": 2003, "time": 1795415640470})
        got = deliver_to(HecClient(sink(hec.url)), [ocsf], 1, cfg(), name="hec")
    assert got.ok and hec.events[0]["time"] == 1795415640.47


def test_byte_bound_splits_batches() -> None:
    with hec_server() as hec:
        big = [json.dumps({"n": i, "pad": "x" * 400}) for i in range(6)]
        small = Delivery(retry=FAST, max_batch_events=100, max_batch_bytes=1200)
        result = deliver_to(HecClient(sink(hec.url)), big, 6, small, name="hec")
    assert result.ok
    assert hec.requests == 3  # two ~560-byte events per request
    assert [e["event"]["n"] for e in hec.events] == list(range(6))


def test_outage_in_the_middle_recovers_and_delivers_everything_once() -> None:
    state = Hec()
    with hec_server(state) as hec:
        client = HecClient(sink(hec.url))
        got = deliver_to(client, events(5), 5, cfg(), name="hec")
        assert got.ok
        hec.fail_first = 3  # the collector goes away for three requests, then comes back
        hec.retry_after = "0"
        got = deliver_to(HecClient(sink(hec.url)), events(30), 30, cfg(), name="hec")
    assert got.ok and got.delivered == 30
    assert hec.requests == 1 + 3 + 3
    assert [e["event"]["n"] for e in hec.events[5:]] == list(range(30))


def test_outage_longer_than_the_retries_reports_the_loss() -> None:
    with hec_server(Hec(fail_first=100, fail_status=503)) as hec:
        got = deliver_to(HecClient(sink(hec.url)), events(25), 25, cfg(), name="hec")
    assert not got.ok
    assert (got.delivered, got.failed) == (0, 25)
    assert hec.requests == FAST.attempts  # gave up on the first batch, sent no other
    assert "HTTP 503: Server is busy (HEC code 9)" in (got.error or "")
    assert "after 4 attempts" in (got.error or "")


def test_outage_after_some_batches_counts_what_arrived() -> None:
    state = Hec()
    with hec_server(state) as hec:

        class Flaky(HecClient):
            sent = 0

            def send(self, batch: list[str]) -> None:
                if Flaky.sent == 2:
                    state.fail_first = 100
                Flaky.sent += 1
                super().send(batch)

        got = deliver_to(Flaky(sink(hec.url)), events(35), 35, cfg(), name="hec")
    assert (got.delivered, got.failed) == (20, 15)
    assert len(hec.events) == 20


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(status: int) -> None:
    with hec_server(Hec(always=status)) as hec:
        got = deliver_to(HecClient(sink(hec.url)), events(3), 3, cfg(), name="hec")
    assert hec.requests == 1
    assert got.failed == 3
    assert got.error == f"HTTP {status}: Invalid token (HEC code 4)"


def test_wrong_token_is_refused_and_never_echoed() -> None:
    with hec_server() as hec:
        got = deliver_to(
            HecClient(HecSink(hec.url, "wrong-secret")), events(2), 2, cfg(), name="hec"
        )
    assert hec.requests == 1 and got.failed == 2
    assert "wrong-secret" not in (got.error or "") and "wrong-secret" not in repr(got)
    assert "wrong-secret" not in repr(HecSink(hec.url, "wrong-secret"))


def test_connection_refused_is_retried_then_reported() -> None:
    from tests.delivery_listeners import free_port

    url = f"http://127.0.0.1:{free_port()}"
    got = deliver_to(HecClient(sink(url)), events(3), 3, cfg(), name="hec")
    assert (got.delivered, got.failed) == (0, 3)
    assert "connection error" in (got.error or "") and "after 4 attempts" in (got.error or "")


def test_https_with_ca_and_verification_failure(tmp_path: Path) -> None:
    cert = make_cert(tmp_path)
    with hec_server(cert=cert) as hec:
        ok = deliver_to(
            HecClient(sink(hec.url, ca_file=cert.cert)), events(3), 3, cfg(), name="hec"
        )
        assert ok.ok and len(hec.events) == 3
        # Without the CA the self-signed server is refused at once, not retried.
        bad = deliver_to(HecClient(sink(hec.url)), events(3), 3, cfg(), name="hec")
    assert bad.failed == 3 and "TLS verification failed" in (bad.error or "")
    assert hec.requests == 1


def test_send_classifies_statuses() -> None:
    with hec_server(Hec(fail_first=1, fail_status=429, retry_after="7")) as hec:
        client = HecClient(sink(hec.url))
        with pytest.raises(Transient) as caught:
            client.send(events(1))
        assert caught.value.retry_after == 7.0
        client.send(events(1))
        hec.always = 400
        with pytest.raises(Permanent):
            client.send(events(1))
        client.close()


def test_retry_after_forms_and_backoff_bounds() -> None:
    assert _retry_after("12") == 12.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    assert _retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0
    policy = Retry(attempts=10, base_s=1.0, cap_s=8.0)
    for n, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        for _ in range(20):
            assert ceiling / 2 <= backoff(policy, n) <= ceiling


def test_a_path_in_the_url_is_kept() -> None:
    with hec_server() as hec:
        got = deliver_to(
            HecClient(sink(hec.url + "/services/collector")), events(1), 1, cfg(), name="hec"
        )
    assert got.ok and hec.paths == ["/services/collector"]


def test_hec_sink_checks_url_token_and_ca(tmp_path: Path) -> None:
    from scanner.delivery.config import hec_sink
    from scanner.errors import ConfigurationError

    env = {"CLDSCAN_HEC_TOKEN": TOKEN}
    made = hec_sink("https://h:8088", token_env=None, index="", sourcetype="s", ca_file=None,
                    environ=env)  # fmt: skip
    assert made.token == TOKEN and made.index is None and TOKEN not in repr(made)
    junk = tmp_path / "junk.pem"
    junk.write_text("nope")
    with pytest.raises(ConfigurationError, match="cannot use the TLS files"):
        hec_sink("https://h", token_env=None, index=None, sourcetype="s", ca_file=junk,
                 environ=env)  # fmt: skip
    with pytest.raises(ConfigurationError, match="only applies to an https"):
        hec_sink("http://h", token_env=None, index=None, sourcetype="s", ca_file=junk,
                 environ=env)  # fmt: skip


def test_an_idle_connection_dropped_by_the_collector_is_reopened_without_backoff() -> None:
    def no_backoff(seconds: float) -> None:
        pytest.fail(f"backed off {seconds} s before reconnecting")

    with hec_server() as hec:
        client = HecClient(sink(hec.url))
        client.send(events(1))
        assert client._conn is not None and client._conn.sock is not None
        client._conn.sock.shutdown(socket.SHUT_RDWR)  # as if the server had closed it
        got = deliver_to(client, events(3), 3, cfg(), name="hec", sleep=no_backoff)
    assert got.ok and len(hec.events) == 4


def test_default_bounds_over_a_large_run() -> None:
    many = [json.dumps({"n": i, "pad": "p" * 300}) for i in range(2600)]
    with hec_server() as hec:
        got = deliver_to(HecClient(sink(hec.url)), iter(many), 2600, Delivery(), name="hec")
    assert got.ok and got.delivered == 2600
    # 500 events of ~460 bytes each stay under 512 KiB: the count bound decides.
    assert hec.requests == 6
    assert [e["event"]["n"] for e in hec.events] == list(range(2600))
