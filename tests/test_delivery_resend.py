"""``cldscan deliver FILE``: re-sending what a run wrote, after its delivery failed."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner import registry
from scanner.cli import cli
from scanner.errors import ExitCode
from scanner.snapshot import write_snapshot
from tests.delivery_listeners import TOKEN, Hec, free_port, hec_server, syslog_server
from tests.test_outputs import CHECKS, sample_inventory

ENV = {"CLDSCAN_HEC_TOKEN": TOKEN, "CLDSCAN_DELIVERY_BACKOFF": "0.001"}


@pytest.fixture(autouse=True)
def _test_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    for entry in CHECKS:
        monkeypatch.setitem(registry._REGISTRY, entry.id, entry)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=ENV, catch_exceptions=False)


def written(tmp_path: Path, fmt: str, name: str) -> Path:
    snapshot = tmp_path / "snap.json"
    write_snapshot(sample_inventory(), snapshot)
    out = tmp_path / name
    result = run("evaluate", str(snapshot), "--check", "test.out.*", "-f", fmt, "-o", str(out))
    assert result.exit_code == ExitCode.FAILED, result.stderr
    return out


def test_a_failed_run_is_resent_from_its_file(tmp_path: Path) -> None:
    snapshot = tmp_path / "snap.json"
    write_snapshot(sample_inventory(), snapshot)
    out = tmp_path / "run.ocsf.jsonl.gz"
    with hec_server(Hec(always=503)) as down:
        failed = run(
            "evaluate", str(snapshot), "--check", "test.out.*", "-f", "ocsf", "-o", str(out),
            "--hec-url", down.url, "--delivery-attempts", "2",
        )  # fmt: skip
    assert failed.exit_code == ExitCode.DELIVERY_FAILED
    with hec_server() as hec:
        again = run("deliver", str(out), "--hec-url", hec.url)
    assert again.exit_code == ExitCode.OK, again.stderr
    lines = gzip.decompress(out.read_bytes()).decode().splitlines()
    assert [e["event"] for e in hec.events] == [json.loads(x) for x in lines]
    assert {e["sourcetype"] for e in hec.events} == {"cldscan:ocsf"}
    assert {e["time"] for e in hec.events} == {json.loads(lines[0])["time"] / 1000}


def test_json_document_and_jsonl_files_send_native_records(tmp_path: Path) -> None:
    doc = written(tmp_path, "json", "run.json")
    lines = written(tmp_path, "jsonl", "run.jsonl")
    with hec_server() as hec, syslog_server() as rx:
        a = run("deliver", str(doc), "--hec-url", hec.url)
        b = run("deliver", str(lines), "--syslog", f"tcp://127.0.0.1:{rx.port}")
    assert a.exit_code == b.exit_code == ExitCode.OK
    ids = [f["finding_id"] for f in json.loads(doc.read_text())["findings"]]
    assert [e["event"]["finding_id"] for e in hec.events] == ids
    assert {e["sourcetype"] for e in hec.events} == {"cldscan:json"}
    assert sorted(m["params"]["finding_id"] for m in rx.messages()) == sorted(ids)


def test_sink_still_down_exits_5(tmp_path: Path) -> None:
    out = written(tmp_path, "ocsf", "run.ocsf.jsonl")
    result = run("deliver", str(out), "--syslog", f"tcp://127.0.0.1:{free_port()}",
                 "--delivery-attempts", "1")  # fmt: skip
    assert result.exit_code == ExitCode.DELIVERY_FAILED
    assert '"not_delivered": 4' in result.stderr


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("a,b,c\n1,2,3\n", "line 1 is not JSON"),
        ("", "holds no findings"),
        ('{"x": 1}\n', "is not a cldscan finding record"),
        ('{\n  "scopes": []\n}\n', "JSON document without findings"),
    ],
)
def test_files_that_are_not_findings_are_usage_errors(
    tmp_path: Path, content: str, fragment: str
) -> None:
    path = tmp_path / "f"
    path.write_text(content)
    result = run("deliver", str(path), "--syslog", "tcp://127.0.0.1:1")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("cldscan: error: ") and fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_deliver_needs_a_sink(tmp_path: Path) -> None:
    out = written(tmp_path, "ocsf", "run.ocsf.jsonl")
    result = run("deliver", str(out))
    assert result.exit_code == ExitCode.USAGE and "needs --hec-url or --syslog" in result.stderr
