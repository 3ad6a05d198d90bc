"""Interoperability: a real rsyslogd (Debian's rsyslog + rsyslog-gnutls) receives a scan's
findings over TLS with the configuration docs/siem.md shows. Skipped without rsyslogd."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner import registry
from scanner.cli import cli
from scanner.errors import ExitCode
from scanner.snapshot import write_snapshot
from tests.delivery_listeners import free_port, make_cert
from tests.test_outputs import CHECKS, sample_inventory

RSYSLOGD = shutil.which("rsyslogd") or (
    "/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None
)


def _unavailable(reason: str) -> None:
    """Skip on a developer machine; in CI (where .ci/system-packages installs rsyslog) a
    missing rsyslogd is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(f"{reason} (apt-get install rsyslog rsyslog-gnutls)")


CONFIG = """
global(
  workDirectory="{dir}"
  DefaultNetstreamDriver="gtls"
  DefaultNetstreamDriverCAFile="{cert}"
  DefaultNetstreamDriverCertFile="{cert}"
  DefaultNetstreamDriverKeyFile="{key}"
)
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" port="{port}" ruleset="cldscan")

template(name="cldscan_json" type="string" string="%msg%\\n")
template(name="cldscan_head" type="string"
         string="%pri%|%app-name%|%msgid%|%structured-data%\\n")
ruleset(name="cldscan") {{
  if $app-name == "cldscan" then {{
    action(type="omfile" file="{dir}/findings.jsonl" template="cldscan_json")
    action(type="omfile" file="{dir}/headers.log" template="cldscan_head")
  }}
}}
"""


@pytest.fixture(autouse=True)
def _test_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    for entry in CHECKS:
        monkeypatch.setitem(registry._REGISTRY, entry.id, entry)


def _listening(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    if RSYSLOGD is None:
        _unavailable("rsyslogd is not installed")
    if not any(Path("/usr/lib").glob("*/rsyslog/lmnsd_gtls.so")):
        _unavailable("rsyslog-gnutls is not installed")
    cert = make_cert(tmp_path)
    port = free_port()
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(CONFIG.format(dir=tmp_path, cert=cert.cert, key=cert.key, port=port))
    assert RSYSLOGD is not None
    proc = subprocess.Popen(
        [RSYSLOGD, "-n", "-f", str(conf), "-i", str(tmp_path / "rsyslogd.pid")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        if not _listening(port, time.monotonic() + 10):
            proc.terminate()
            out = proc.communicate(timeout=5)[0].decode(errors="replace")
            pytest.fail(f"rsyslogd did not listen: {out[-2000:]}")
        yield port, cert.cert, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_rsyslog_receives_every_finding_over_tls(
    rsyslog: tuple[int, Path, Path], tmp_path: Path
) -> None:
    port, ca, directory = rsyslog
    snapshot = tmp_path / "snap.json"
    write_snapshot(sample_inventory(), snapshot)
    out = tmp_path / "run.ocsf.jsonl"
    args = [
        "evaluate", str(snapshot), "--check", "test.out.*", "-f", "ocsf", "-o", str(out),
        "--syslog", f"tls://localhost:{port}", "--syslog-ca", str(ca),
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == ExitCode.FAILED, result.stderr
    sent = [json.loads(line) for line in out.read_text().splitlines()]
    received = directory / "findings.jsonl"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if received.exists() and len(received.read_text().splitlines()) >= len(sent):
            break
        time.sleep(0.05)
    assert [json.loads(line) for line in received.read_text().splitlines()] == sent
    heads = [line.split("|") for line in (directory / "headers.log").read_text().splitlines()]
    assert {h[1] for h in heads} == {"cldscan"}
    assert {h[2] for h in heads} == {"test.out.world_ssh", "test.out.networks_seen"}
    assert all(h[3].startswith('[cldscan@32473 finding_id="cldscan-') for h in heads)
    assert "131" in {h[0] for h in heads}  # local0 (16) * 8 + err (3): the high FAIL
