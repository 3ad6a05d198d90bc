"""Delivery through the command line: gzip, a file per run, HEC and syslog sinks, the
file written before delivery, exit status 5 and one-line usage errors."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner import registry
from scanner.cli import cli
from scanner.delivery.files import run_stem, write_atomic, write_new
from scanner.errors import ExitCode
from scanner.snapshot import write_snapshot
from tests.delivery_listeners import TOKEN, Hec, free_port, hec_server, make_cert, syslog_server
from tests.test_outputs import ACCOUNT, CHECKS, sample_inventory

ONLY_TEST = ("--check", "test.out.*")
ENV = {"CLDSCAN_HEC_TOKEN": TOKEN, "CLDSCAN_DELIVERY_BACKOFF": "0.001"}
RUN_NAME = re.compile(rf"cldscan-aws-{ACCOUNT}-\d{{8}}T\d{{6}}Z\.ocsf\.jsonl\.gz")


@pytest.fixture(autouse=True)
def _test_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    for entry in CHECKS:
        monkeypatch.setitem(registry._REGISTRY, entry.id, entry)


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "snap.json"
    write_snapshot(sample_inventory(), path)
    return path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--log-level", "info", *args], env={**ENV, **(env or {})}, catch_exceptions=False
    )


def log_events(result: Result, name: str) -> list[dict[str, object]]:
    found = []
    for line in result.stderr.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event") == name:
                found.append(record)
    return found


def only_file(directory: Path) -> Path:
    files = [p for p in directory.iterdir() if not p.name.startswith(".")]
    assert len(files) == 1, files
    assert not [p for p in directory.iterdir() if p.name.startswith(".")], "temporary left"
    return files[0]


def gz_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


# --- files --------------------------------------------------------------------------------


def test_gzip_by_suffix_and_by_flag_round_trip(snapshot: Path, tmp_path: Path) -> None:
    plain = run("evaluate", str(snapshot), *ONLY_TEST, "-f", "jsonl", "-o", str(tmp_path / "a"))
    by_suffix = run(
        "evaluate", str(snapshot), *ONLY_TEST, "-f", "jsonl", "-o", str(tmp_path / "b.jsonl.gz")
    )
    by_flag = run(
        "evaluate", str(snapshot), *ONLY_TEST, "-f", "jsonl", "--gzip", "-o", str(tmp_path / "c")
    )
    assert plain.exit_code == by_suffix.exit_code == by_flag.exit_code == ExitCode.FAILED
    text = (tmp_path / "a").read_bytes()
    assert text.count(b"\n") == 4
    assert gzip.decompress((tmp_path / "b.jsonl.gz").read_bytes()) == text
    assert gzip.decompress((tmp_path / "c").read_bytes()) == text


def test_gzip_to_a_pipe(snapshot: Path) -> None:
    result = CliRunner().invoke(
        cli, ["evaluate", str(snapshot), *ONLY_TEST, "-f", "ocsf", "--gzip"], catch_exceptions=False
    )
    lines = gzip.decompress(result.stdout_bytes).splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["class_uid"] == 2003


def test_output_dir_names_a_new_file_per_run(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs" / "nested"
    first = run(
        "evaluate", str(snapshot), *ONLY_TEST, "-f", "ocsf", "--gzip", "--output-dir", str(out)
    )
    assert first.exit_code == ExitCode.FAILED
    assert first.stdout == ""
    path = only_file(out)
    assert RUN_NAME.fullmatch(path.name), path.name
    assert f"cldscan: wrote {path}" in first.stderr
    assert len(gz_lines(path)) == 4
    second = run("evaluate", str(snapshot), *ONLY_TEST, "-f", "json", "--output-dir", str(out))
    assert second.exit_code == ExitCode.FAILED
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and any(n.endswith(".json") for n in names)


def test_run_names_for_one_and_several_accounts() -> None:
    when = datetime(2026, 11, 23, 6, 15, tzinfo=UTC)
    assert run_stem([("aws", "111122223333")], when) == "cldscan-aws-111122223333-20261123T061500Z"
    several = [("gcp", "proj/x"), ("aws", "111122223333"), ("aws", "444455556666")]
    stem = run_stem(several, when)
    assert re.fullmatch(r"cldscan-aws_gcp-3accounts-[0-9a-f]{8}-20261123T061500Z", stem)
    assert run_stem(reversed(several), when) == stem  # stable whatever the order
    assert run_stem(several[:2], when) != stem
    assert run_stem([("gcp", "a/b c")], when) == "cldscan-gcp-a_b_c-20261123T061500Z"
    assert run_stem([], when) == "cldscan-20261123T061500Z"


@pytest.mark.parametrize("links", [True, False])
def test_a_run_file_never_replaces_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: bool
) -> None:
    if not links:  # a file system without hard links: check, then rename

        def no_link(src: object, dst: object) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr("os.link", no_link)
    (tmp_path / "x.json").write_text("old")
    (tmp_path / "x-2.json").write_text("old 2")
    path = write_new(tmp_path, "x", ".json", lambda s: s.write("new\n"), compress=False)
    assert path == tmp_path / "x-3.json" and path.read_text() == "new\n"
    assert (tmp_path / "x.json").read_text() == "old"
    assert (tmp_path / "x-2.json").read_text() == "old 2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x-2.json", "x-3.json", "x.json"]


def test_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "f.json.gz"
    write_atomic(path, lambda s: s.write("first\n"), compress=True)

    def broken(stream: object) -> None:
        raise RuntimeError("renderer died")

    with pytest.raises(RuntimeError):
        write_atomic(path, broken, compress=True)  # type: ignore[arg-type]
    assert gzip.decompress(path.read_bytes()) == b"first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json.gz"]


# --- HEC and syslog end to end --------------------------------------------------------------


def test_hec_gets_every_finding_of_the_file(snapshot: Path, tmp_path: Path) -> None:
    with hec_server(Hec(fail_first=2, retry_after="0")) as hec:
        result = run(
            "evaluate", str(snapshot), *ONLY_TEST, "-f", "ocsf", "--gzip",
            "--output-dir", str(tmp_path / "o"), "--hec-url", hec.url, "--hec-index", "cloudsec",
        )  # fmt: skip
    assert result.exit_code == ExitCode.FAILED, result.stderr
    written = gz_lines(only_file(tmp_path / "o"))
    assert [e["event"] for e in hec.events] == written
    assert {e["sourcetype"] for e in hec.events} == {"cldscan:ocsf"}
    assert {e["index"] for e in hec.events} == {"cloudsec"}
    (finished,) = log_events(result, "delivery_finished")
    assert finished["delivered"] == 4 and finished["not_delivered"] == 0
    assert len(log_events(result, "delivery_retry")) == 2
    assert TOKEN not in result.stderr and TOKEN not in result.stdout


def test_hec_native_json_records(snapshot: Path, tmp_path: Path) -> None:
    with hec_server() as hec:
        result = run(
            "evaluate", str(snapshot), *ONLY_TEST, "-f", "ocsf", "-o", str(tmp_path / "f.jsonl"),
            "--hec-url", hec.url, "--delivery-format", "json",
        )  # fmt: skip
    assert result.exit_code == ExitCode.FAILED
    assert {e["sourcetype"] for e in hec.events} == {"cldscan:json"}
    assert {e["event"]["check_id"] for e in hec.events} == {
        "test.out.world_ssh", "test.out.networks_seen"
    }  # fmt: skip


def test_siem_down_exits_5_with_the_file_intact(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.ocsf.jsonl"
    with hec_server(Hec(fail_first=1000)) as hec:
        result = run(
            "evaluate", str(snapshot), *ONLY_TEST, "-f", "ocsf", "-o", str(out),
            "--hec-url", hec.url, "--syslog", f"tcp://127.0.0.1:{free_port()}",
            "--delivery-attempts", "2",
        )  # fmt: skip
    assert result.exit_code == ExitCode.DELIVERY_FAILED
    assert len(out.read_text().splitlines()) == 4
    assert hec.requests == 2
    finished = log_events(result, "delivery_finished")
    assert [str(f["sink"]).split(" ")[0] for f in finished] == ["hec", "syslog"]
    assert finished[0]["sink"] == f"hec {hec.url}"
    for record in finished:
        assert record["level"] == "error"
        assert (record["delivered"], record["not_delivered"]) == (0, 4)
        assert record["file"] == str(out)
    (scan,) = log_events(result, "scan_finished")
    assert scan["exit_status"] == ExitCode.FAILED


def test_syslog_tls_end_to_end(snapshot: Path, tmp_path: Path) -> None:
    cert = make_cert(tmp_path)
    out = tmp_path / "f.json"
    with syslog_server(cert=cert) as rx:
        result = run(
            "evaluate", str(snapshot), *ONLY_TEST, "-f", "json", "-o", str(out),
            "--syslog", f"tls://localhost:{rx.port}", "--syslog-ca", str(cert.cert),
            "--syslog-facility", "local4",
        )  # fmt: skip
    assert result.exit_code == ExitCode.FAILED, result.stderr
    msgs = rx.messages()
    ids = {f["finding_id"] for f in json.loads(out.read_text())["findings"]}
    assert {m["params"]["finding_id"] for m in msgs} == ids and len(msgs) == 4
    assert {int(m["pri"]) // 8 for m in msgs} == {20}
    assert {m["event"]["class_uid"] for m in msgs} == {2003}


# --- usage errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (("--hec-url", "ftp://x", "-o", "f"), {}, "is not an http(s) URL"),
        (("--hec-url", "https://h:99999", "-o", "f"), {}, "invalid port"),
        (("--hec-url", "https://u:p@h", "-o", "f"), {}, "must not carry credentials"),
        (("--hec-url", "https://h", "-o", "f"), {"CLDSCAN_HEC_TOKEN": ""}, "CLDSCAN_HEC_TOKEN"),
        (("--hec-url", "https://h", "--hec-token-env", "MY_TOK", "-o", "f"), {}, "MY_TOK"),
        (("--hec-url", "https://h"), {}, "need --output FILE or --output-dir"),
        (("--syslog", "udp://h:514", "-o", "f"), {}, "tcp://HOST:PORT or tls://HOST:PORT"),
        (("--syslog", "tcp://h", "-o", "f"), {}, "must be exactly tcp://HOST:PORT"),
        (("--hec-index", "main", "-o", "f"), {}, "need --hec-url"),
        (("-o", "f", "--output-dir", "d"), {}, "exclude each other"),
        (("--hec-url", "https://h", "-o", "f"), {"CLDSCAN_DELIVERY_BACKOFF": "x"}, "seconds"),
    ],
)
def test_bad_delivery_options_are_one_line_usage_errors(
    snapshot: Path, tmp_path: Path, args: tuple[str, ...], env: dict[str, str], fragment: str
) -> None:
    result = CliRunner().invoke(
        cli, ["evaluate", str(snapshot), *ONLY_TEST, *args], env={**ENV, **env}
    )
    assert result.exit_code == ExitCode.USAGE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cldscan: error: "), result.stderr
    assert fragment in lines[0]
    assert result.stdout == ""
    assert not (Path.cwd() / "f").exists()


def test_suppression_and_lifecycle_fields_travel_with_the_events(
    snapshot: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "s.yaml"
    rules.write_text("- {check: test.out.world_ssh, reason: accepted risk, owner: sec}\n")
    common = ("evaluate", str(snapshot), *ONLY_TEST, "--suppressions", str(rules))
    state = ("--state-dir", str(tmp_path / "state"))
    with hec_server() as hec, syslog_server() as rx:
        result = run(
            *common, *state, "-f", "ocsf", "-o", str(tmp_path / "f"), "--hec-url", hec.url,
            "--syslog", f"tcp://127.0.0.1:{rx.port}",
        )  # fmt: skip
    assert result.exit_code == ExitCode.INCOMPLETE, result.stderr  # the FAIL is suppressed
    suppressed = [e["event"] for e in hec.events if e["event"]["status"] == "Suppressed"]
    assert suppressed and all(e["unmapped"]["suppression"] for e in suppressed)
    by_id = {m["params"]["finding_id"]: m for m in rx.messages()}
    for event in suppressed:
        msg = by_id[event["finding_info"]["uid"]]
        assert msg["params"]["suppressed"] == "true" and int(msg["pri"]) % 8 == 5
    assert len(by_id) == len(hec.events) == 4
    assert {m["params"].get("lifecycle") for m in by_id.values()} >= {"new"}


def test_gzip_to_a_terminal_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from scanner.delivery.cli_options import pop_delivery
    from scanner.errors import ConfigurationError

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def options() -> dict[str, object]:
        return {
            "output_dir": None, "gzip_output": True, "delivery_format": "ocsf",
            "hec_url": None, "hec_token_env": None, "hec_index": None,
            "hec_sourcetype": None, "hec_ca": None, "syslog_url": None, "syslog_ca": None,
            "syslog_cert": None, "syslog_key": None, "syslog_facility": "local0",
            "delivery_attempts": 5,
        }  # fmt: skip

    monkeypatch.setattr("sys.stdout", Terminal())
    with pytest.raises(ConfigurationError, match="binary data to the terminal"):
        pop_delivery(options(), None)
    assert pop_delivery(options(), Path("f.gz")).gzip
