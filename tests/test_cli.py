"""The command line without a cloud: listing, offline evaluation, formats, exit statuses."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from providers.aws.options import AwsOptions
from scanner import registry
from scanner.cli import cli
from scanner.errors import ConfigurationError, ExitCode
from scanner.snapshot import write_snapshot
from tests.test_outputs import CHECKS, sample_inventory

ONLY_TEST = ("--check", "test.out.*")


@pytest.fixture(autouse=True)
def _test_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register this file's checks for one test only; built-in checks may exist too, so
    every evaluation below selects ``test.out.*``."""
    for entry in CHECKS:
        monkeypatch.setitem(registry._REGISTRY, entry.id, entry)


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "snap.json"
    write_snapshot(sample_inventory(), path)
    return path


@pytest.fixture
def clean_snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "clean.json"
    write_snapshot(sample_inventory(gap=False), path)
    return path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def _one_error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cldscan: error: ")
    assert "Traceback" not in result.output
    return lines[0]


# --- listing -----------------------------------------------------------------------------


def test_checks_lists_registered_checks_as_json() -> None:
    result = run("checks", "--format", "json")
    assert result.exit_code == 0
    records = {r["id"]: r for r in json.loads(result.stdout)}
    assert records["test.out.world_ssh"]["severity"] == "high"
    assert records["test.out.world_ssh"]["controls"] == ["CLD.9.5.1", "CLD.13.1.4"]
    assert records["test.out.world_ssh"]["providers"] == ["aws"]


def test_checks_filters_by_control_and_provider() -> None:
    result = run("checks", "--control", "cld.9.5.1", "--format", "json")
    ids = {r["id"] for r in json.loads(result.stdout)}
    assert "test.out.world_ssh" in ids
    assert "test.out.networks_seen" not in ids
    result = run("checks", "--provider", "gcp", "--format", "json")
    ids = {r["id"] for r in json.loads(result.stdout)}
    assert not ids & {c.id for c in CHECKS}


def test_checks_table() -> None:
    result = run("checks")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split() == [
        "ID",
        "SEVERITY",
        "CONTROLS",
        "PROVIDERS",
        "TITLE",
    ]
    assert "test.out.world_ssh" in result.stdout


def test_checks_unknown_control_is_usage_error() -> None:
    result = run("checks", "--control", "CLD.1.2.3")
    assert result.exit_code == ExitCode.USAGE
    assert "unknown control" in _one_error_line(result)


def test_controls_json_names_automated_manual_and_checks() -> None:
    result = run("controls", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    controls = {c["id"]: c for c in doc["controls"]}
    assert len(controls) == 5
    assert "test.out.world_ssh" in controls["CLD.9.5.1"]["checks"]
    assert all(c["automated"] and c["manual"] for c in controls.values())


def test_controls_table() -> None:
    result = run("controls")
    assert result.exit_code == 0
    assert "CLD.12.4.5" in result.stdout
    assert "manual (not evaluated by cldscan)" in result.stdout


# --- evaluate: formats -------------------------------------------------------------------


def test_evaluate_json_is_default_off_a_terminal(snapshot: Path) -> None:
    result = run("evaluate", str(snapshot), *ONLY_TEST)
    doc = json.loads(result.stdout)
    assert doc["schema"] == "cldscan.findings"
    assert sorted(f["status"] for f in doc["findings"]) == ["ERROR", "FAIL", "PASS", "PASS"]


@pytest.mark.parametrize("fmt", ["jsonl", "ocsf"])
def test_evaluate_line_formats(snapshot: Path, fmt: str) -> None:
    result = run("evaluate", str(snapshot), *ONLY_TEST, "--format", fmt)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(events) == 4
    if fmt == "ocsf":
        assert {e["class_uid"] for e in events} == {2003}


def test_evaluate_csv(snapshot: Path) -> None:
    result = run("evaluate", str(snapshot), *ONLY_TEST, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4


def test_evaluate_table_with_summary_on_stderr(snapshot: Path) -> None:
    result = run("evaluate", str(snapshot), *ONLY_TEST, "--format", "table")
    assert result.stdout.startswith("STATUS")
    assert "CONTROL" in result.stdout
    assert "4 findings: 1 FAIL, 1 ERROR, 2 PASS; 1 gaps" in result.stderr


def test_output_file_is_written_and_stdout_stays_empty(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.jsonl"
    result = run("evaluate", str(snapshot), *ONLY_TEST, "-f", "jsonl", "-o", str(out))
    assert result.stdout == ""
    assert len(out.read_text().splitlines()) == 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_logs_go_to_stderr_as_json(snapshot: Path) -> None:
    result = run("--log-level", "info", "evaluate", str(snapshot), *ONLY_TEST)
    json.loads(result.stdout)  # stdout carries findings only
    events = [json.loads(line) for line in result.stderr.splitlines()]
    finished = next(e for e in events if e["event"] == "scan_finished")
    assert finished["failed"] == 1
    assert finished["errors"] == 1
    assert finished["gaps"] == 1
    assert finished["level"] == "info"


def test_log_level_from_environment(snapshot: Path) -> None:
    quiet = run("evaluate", str(snapshot), *ONLY_TEST)
    assert "scan_finished" not in quiet.stderr
    loud = run("evaluate", str(snapshot), *ONLY_TEST, env={"CLDSCAN_LOG_LEVEL": "info"})
    assert "scan_finished" in loud.stderr


# --- evaluate: filters -------------------------------------------------------------------


def test_status_filter_hides_findings_but_not_the_exit_status(snapshot: Path) -> None:
    result = run("evaluate", str(snapshot), *ONLY_TEST, "--status", "pass")
    doc = json.loads(result.stdout)
    assert {f["status"] for f in doc["findings"]} == {"PASS"}
    assert result.exit_code == ExitCode.FAILED
    controls = {c["id"]: c for c in doc["controls"]}
    assert controls["CLD.13.1.4"]["failed"] == 1


def test_severity_filter(snapshot: Path) -> None:
    result = run("evaluate", str(snapshot), *ONLY_TEST, "--severity", "high")
    doc = json.loads(result.stdout)
    assert {f["check_id"] for f in doc["findings"]} == {"test.out.world_ssh"}


def test_control_filter_selects_checks(snapshot: Path) -> None:
    result = run("evaluate", str(snapshot), *ONLY_TEST, "--control", "CLD.9.5.1")
    doc = json.loads(result.stdout)
    assert {f["check_id"] for f in doc["findings"]} == {"test.out.world_ssh"}


def test_admin_port_reaches_the_checks(snapshot: Path) -> None:
    result = run("evaluate", str(snapshot), "--check", "test.out.world_ssh", "--admin-port", "3389")
    doc = json.loads(result.stdout)
    assert "FAIL" not in {f["status"] for f in doc["findings"]}


def test_check_pattern_matching_nothing_is_usage_error(snapshot: Path) -> None:
    result = run("evaluate", str(snapshot), "--check", "nope.*")
    assert result.exit_code == ExitCode.USAGE
    assert "matches no check" in _one_error_line(result)


# --- exit statuses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--check", "test.out.world_ssh"), ExitCode.FAILED),
        (("--check", "test.out.world_ssh", "--fail-on", "high"), ExitCode.FAILED),
        (("--check", "test.out.world_ssh", "--fail-on", "critical"), ExitCode.INCOMPLETE),
        (("--check", "test.out.world_ssh", "--fail-on", "none"), ExitCode.INCOMPLETE),
        # The gap leaves firewall rules unknown, not networks: this check is complete.
        (("--check", "test.out.networks_seen"), ExitCode.OK),
    ],
)
def test_exit_status(snapshot: Path, args: tuple[str, ...], expected: ExitCode) -> None:
    assert run("evaluate", str(snapshot), *args).exit_code == expected


def test_exit_ok_on_clean_snapshot(clean_snapshot: Path) -> None:
    result = run("evaluate", str(clean_snapshot), *ONLY_TEST, "--fail-on", "critical")
    assert result.exit_code == ExitCode.OK


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"schema": "something.else"}',
        '{"schema": "cldscan.snapshot", "schema_version": "9.0"}',
        '{"schema": "cldscan.snapshot", "schema_version": "1.0", "entities": [{"kind": "x"}]}',
    ],
)
def test_malformed_snapshot_is_one_line_exit_2(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run("evaluate", str(path), *ONLY_TEST)
    assert result.exit_code == ExitCode.USAGE
    assert str(path) in _one_error_line(result)
    assert result.stdout == ""


def test_missing_snapshot(tmp_path: Path) -> None:
    result = run("evaluate", str(tmp_path / "none.json"))
    assert result.exit_code == ExitCode.USAGE
    assert "no such file" in _one_error_line(result)


def test_unknown_format_is_usage_error(snapshot: Path) -> None:
    result = run("evaluate", str(snapshot), "--format", "xml")
    assert result.exit_code == ExitCode.USAGE
    assert "xml" in _one_error_line(result)


def test_unknown_command_is_usage_error() -> None:
    result = run("frobnicate")
    assert result.exit_code == ExitCode.USAGE
    _one_error_line(result)


def test_unwritable_output_is_one_line(snapshot: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "out.json"
    result = run("evaluate", str(snapshot), *ONLY_TEST, "-o", str(target))
    assert result.exit_code == ExitCode.USAGE
    assert "cannot write" in _one_error_line(result)


def test_external_id_needs_role_arn() -> None:
    result = run("scan", "aws", "--external-id", "x", *ONLY_TEST)
    assert result.exit_code == ExitCode.USAGE
    assert "--role-arn" in _one_error_line(result)


@pytest.fixture
def aws_options_seen(monkeypatch: pytest.MonkeyPatch) -> list[AwsOptions]:
    """The options the AWS provider is called with; the call then stops with exit 2."""
    import providers.aws

    seen: list[AwsOptions] = []

    def collect(options: AwsOptions, progress: object = None) -> None:
        seen.append(options)
        raise ConfigurationError("stopped by the test")

    monkeypatch.setattr(providers.aws, "collect", collect)
    return seen


@pytest.mark.parametrize("command", ["scan", "collect"])
def test_aws_timeouts_and_attempts_reach_the_provider(
    aws_options_seen: list[AwsOptions], command: str, tmp_path: Path
) -> None:
    args = ["scan", "aws", *ONLY_TEST] if command == "scan" else ["collect", "aws", "-o"]
    if command == "collect":
        args.append(str(tmp_path / "snapshot.json"))
    tuned = ("--connect-timeout", "3", "--read-timeout", "4.5", "--max-attempts", "2")
    assert run(*args, *tuned).exit_code == ExitCode.USAGE
    assert run(*args).exit_code == ExitCode.USAGE
    tuned_options, default_options = aws_options_seen
    assert (tuned_options.connect_timeout, tuned_options.read_timeout) == (3.0, 4.5)
    assert tuned_options.max_attempts == 2
    # The documented defaults, which are also AwsOptions' own.
    defaults = (default_options.connect_timeout, default_options.read_timeout)
    assert defaults == (10.0, 60.0) == (AwsOptions.connect_timeout, AwsOptions.read_timeout)
    assert default_options.max_attempts == 5 == AwsOptions.max_attempts


@pytest.mark.parametrize(
    "bad", [("--max-attempts", "0"), ("--read-timeout", "0"), ("--connect-timeout", "-1")]
)
def test_aws_timeouts_and_attempts_are_validated(
    aws_options_seen: list[AwsOptions], bad: tuple[str, ...]
) -> None:
    result = run("scan", "aws", *bad, *ONLY_TEST)
    assert result.exit_code == ExitCode.USAGE
    assert bad[0] in result.stderr
    assert aws_options_seen == []


def test_crashing_code_is_an_internal_error_with_traceback(
    snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("scanner.snapshot.read_snapshot", boom)
    result = run("evaluate", str(snapshot), *ONLY_TEST)
    assert result.exit_code == ExitCode.INTERNAL
    assert "Traceback" in result.stderr
    assert "kaboom" in result.stderr


def test_help_documents_exit_statuses() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for code in ("0", "1", "2", "3", "4"):
        assert f"\n    {code}  " in result.stdout


def test_demo_without_moto_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "moto" else real(name, *a),
    )
    result = run("demo")
    assert result.exit_code == ExitCode.USAGE
    assert "pip install 'cldscan[demo]'" in _one_error_line(result)


# --- startup -----------------------------------------------------------------------------

_PROBE = """
import sys, time
start = time.perf_counter()
sys.argv = ["cldscan", *sys.argv[1:]]
from scanner.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("boto3", "botocore", "moto", "azure", "google"))
print(repr((code, heavy, time.perf_counter() - start)), file=sys.stderr)
"""


@pytest.mark.parametrize("arg", ["--version", "--help"])
def test_startup_imports_no_cloud_sdk(arg: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, arg], capture_output=True, text=True, check=True
    )
    code, heavy, seconds = eval(proc.stderr.strip().splitlines()[-1])
    assert code == 0
    assert heavy == []
    assert seconds < 0.5
    if arg == "--version":
        assert proc.stdout.startswith("cldscan, version ")


def test_demo_environment_is_applied_then_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.environ import patched_environment

    monkeypatch.setenv("AWS_PROFILE", "mine")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://old")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    with patched_environment(
        {"AWS_ENDPOINT_URL": "http://demo", "AWS_ACCESS_KEY_ID": "d"}, unset=("AWS_PROFILE",)
    ):
        assert "AWS_PROFILE" not in os.environ
        assert os.environ["AWS_ENDPOINT_URL"] == "http://demo"
    assert os.environ["AWS_PROFILE"] == "mine"
    assert os.environ["AWS_ENDPOINT_URL"] == "http://old"
    assert "AWS_ACCESS_KEY_ID" not in os.environ
