"""RFC 5424 syslog over TCP and TLS to local listeners: message format, framing, outages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.delivery.config import Delivery, Retry, SyslogSink, syslog_sink
from scanner.delivery.run import deliver_to
from scanner.delivery.syslog import SyslogClient, frame, message
from scanner.errors import ConfigurationError
from tests.delivery_listeners import free_port, make_cert, parse, syslog_server

FAST = Retry(attempts=3, base_s=0.001, cap_s=0.01)
CFG = Delivery(retry=FAST, max_batch_events=4)


def ocsf(i: int, *, status: str = "FAIL", severity: str = "High", check: str = "aws.x") -> str:
    return json.dumps(
        {
            "class_uid": 2003,
            "severity": severity,
            "message": f"finding {i} ü",
            "metadata": {"event_code": check, "uid": f"fid-{i}"},
            "finding_info": {"uid": f"fid-{i}"},
            "compliance": {"status_code": status},
        },
        ensure_ascii=False,
    )


def native(i: int, status: str) -> str:
    return json.dumps(
        {"finding_id": f"n-{i}", "check_id": "any.c", "status": status, "severity": "low"}
    )


def test_message_fields_pri_and_structured_data() -> None:
    now = datetime(2026, 11, 23, 6, 15, 0, 123000, tzinfo=UTC)
    msg = message(ocsf(1), facility=16, hostname="scan host", procid="42", now=now)
    parsed = parse(msg)
    assert parsed["pri"] == str(16 * 8 + 3)  # local0, FAIL high -> err
    assert parsed["ts"] == "2026-11-23T06:15:00.123Z"
    assert (parsed["host"], parsed["app"], parsed["procid"]) == ("scanhost", "cldscan", "42")
    assert parsed["msgid"] == "aws.x"
    assert parsed["sd"].startswith("[cldscan@32473 ")
    assert parsed["params"] == {
        "finding_id": "fid-1",
        "check": "aws.x",
        "status": "FAIL",
        "severity": "high",
    }
    assert parsed["event"]["message"] == "finding 1 ü"
    assert frame(msg) == str(len(msg)).encode() + b" " + msg


def test_severity_mapping_and_long_check_ids() -> None:
    now = datetime.now(UTC)

    def pri(event: str) -> int:
        return int(parse(message(event, facility=1, hostname="h", procid="1", now=now))["pri"])

    assert pri(ocsf(1, severity="Critical")) == 8 + 2
    assert pri(ocsf(1, severity="Low")) == 8 + 5
    assert pri(ocsf(1, status="PASS")) == 8 + 6
    assert pri(ocsf(1, status="ERROR")) == 8 + 5
    assert pri(native(1, "FAIL")) == 8 + 5
    suppressed = json.loads(ocsf(1, severity="Critical"))
    suppressed["unmapped"] = {"lifecycle": "open", "suppression": {"reason": "accepted"}}
    parsed = parse(message(json.dumps(suppressed), facility=1, hostname="h", procid="1", now=now))
    assert int(parsed["pri"]) == 8 + 5
    assert parsed["params"]["lifecycle"] == "open" and parsed["params"]["suppressed"] == "true"
    long_id = "any.network.default_constructs_restricted"
    parsed = parse(message(ocsf(1, check=long_id), facility=1, hostname="h", procid="1", now=now))
    assert parsed["msgid"] == "finding" and parsed["params"]["check"] == long_id
    quoted = parse(message(ocsf(1, check='a"b]c'), facility=1, hostname="h", procid="1", now=now))
    assert quoted["params"]["check"] == 'a"b]c' == quoted["msgid"]


def test_tcp_frames_arrive_in_order() -> None:
    with syslog_server() as rx:
        client = SyslogClient(SyslogSink("tcp", rx.host, rx.port), hostname="scanner")
        got = deliver_to(client, [ocsf(i) for i in range(10)], 10, CFG, name="syslog")
    assert got.ok and got.delivered == 10
    msgs = rx.messages()
    assert [m["event"]["finding_info"]["uid"] for m in msgs] == [f"fid-{i}" for i in range(10)]
    assert {m["host"] for m in msgs} == {"scanner"}
    assert rx.connections == 1


def test_tls_with_ca_and_verification_failure(tmp_path: Path) -> None:
    cert = make_cert(tmp_path)
    with syslog_server(cert=cert) as rx:
        url = f"tls://localhost:{rx.port}"
        client = SyslogClient(syslog_sink(url, ca_file=cert.cert))
        got = deliver_to(client, [native(i, "PASS") for i in range(6)], 6, CFG, name="syslog")
        assert got.ok
        assert [m["params"]["finding_id"] for m in rx.messages()] == [f"n-{i}" for i in range(6)]
        bad = deliver_to(
            SyslogClient(syslog_sink(url, ca_file=None)), [native(0, "PASS")], 1, CFG, name="s"
        )
    assert bad.failed == 1 and "TLS verification failed" in (bad.error or "")


def test_receiver_down_is_retried_then_reported() -> None:
    sink = SyslogSink("tcp", "127.0.0.1", free_port())
    got = deliver_to(SyslogClient(sink), [ocsf(i) for i in range(5)], 5, CFG, name="syslog")
    assert (got.delivered, got.failed) == (0, 5)
    assert "connection error" in (got.error or "") and "after 3 attempts" in (got.error or "")


def test_receiver_back_after_an_outage_gets_everything() -> None:
    with syslog_server() as rx:
        port = rx.port
        down = SyslogSink("tcp", "127.0.0.1", free_port())

        class Reconnecting(SyslogClient):
            """Points at a dead port for the first two attempts, then at the listener."""

            tries = 0

            def send(self, batch: list[str]) -> None:
                Reconnecting.tries += 1
                self.sink = down if Reconnecting.tries <= 2 else up
                super().send(batch)

        up = SyslogSink("tcp", "127.0.0.1", port)
        got = deliver_to(Reconnecting(up), [ocsf(i) for i in range(3)], 3, CFG, name="syslog")
    assert got.ok and len(rx.frames) == 3


def test_mutual_tls_client_certificate(tmp_path: Path) -> None:
    server, client = make_cert(tmp_path, "localhost"), make_cert(tmp_path, "scanner")
    with syslog_server(cert=server, client_ca=client) as rx:
        sink = syslog_sink(
            f"tls://localhost:{rx.port}",
            ca_file=server.cert,
            client_cert=client.cert,
            client_key=client.key,
        )
        got = deliver_to(SyslogClient(sink), [ocsf(1)], 1, CFG, name="syslog")
    assert got.ok and len(rx.frames) == 1
    assert rx.peers and "scanner" in str(rx.peers[0]["subject"])


def test_a_refused_client_certificate_is_reported_not_lost(tmp_path: Path) -> None:
    server, client = make_cert(tmp_path, "localhost"), make_cert(tmp_path, "scanner")
    with syslog_server(cert=server, client_ca=client) as rx:
        sink = syslog_sink(f"tls://localhost:{rx.port}", ca_file=server.cert)
        got = deliver_to(SyslogClient(sink), [ocsf(1)], 1, CFG, name="syslog")
    assert (got.delivered, got.failed) == (0, 1)
    assert "refused the TLS session" in (got.error or "")
    assert rx.frames == []


def test_unusable_tls_files_are_usage_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    for kwargs in ({"ca_file": junk}, {"ca_file": None, "client_cert": junk}):
        with pytest.raises(ConfigurationError, match="cannot use the TLS files"):
            syslog_sink("tls://localhost:6514", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="only apply to a tls://"):
        syslog_sink("tcp://localhost:514", ca_file=None, client_cert=junk)


@pytest.mark.parametrize("tls", [False, True])
def test_a_receiver_restart_between_batches_loses_nothing(tmp_path: Path, tls: bool) -> None:
    cert = make_cert(tmp_path) if tls else None
    with syslog_server(cert=cert, close_after=3) as rx:
        url = f"{'tls' if tls else 'tcp'}://localhost:{rx.port}"
        client = SyslogClient(syslog_sink(url, ca_file=cert.cert if cert else None))
        client.send([ocsf(i) for i in range(3)])
        assert rx.closed.wait(5)
        client.send([ocsf(i) for i in range(3, 6)])  # must not go into the closed session
        client.close()
    ids = [m["params"]["finding_id"] for m in rx.messages()]
    assert ids == [f"fid-{i}" for i in range(6)]
    assert rx.connections == 2
