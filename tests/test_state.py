"""Scheduled-scan state: lifecycle across runs, coverage rules, atomic and locked files."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner import registry
from scanner.annotate import annotated, changes
from scanner.cli import cli
from scanner.engine import ScanReport, evaluate
from scanner.errors import ExitCode
from scanner.inventory import FirewallRule, Gap, GapReason, Inventory, Network
from scanner.registry import CheckConfig
from scanner.results import Finding, Lifecycle, Severity, Status, finding_id
from scanner.results import Result as CheckResult
from scanner.snapshot import write_snapshot
from scanner.state import Seen, StateError, StateStore, target_name, track
from tests.test_outputs import ACCOUNT, CHECKS, SCOPE, _rule

T0 = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
SSH = "test.out.world_ssh"


def inventory(*rules: tuple[int, bool], gap_region: str | None = None) -> Inventory:
    """Firewall rules in us-east-1 by (number, world-open), optionally a firewall gap."""
    gaps = ()
    if gap_region:
        gaps = (
            Gap(
                "aws",
                ACCOUNT,
                gap_region,
                "ec2:DescribeSecurityGroups",
                ("firewall_rule", "firewall_rule_set"),
                GapReason.ACCESS_DENIED,
            ),
        )
    network = Network(
        id=f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/vpc-1",
        provider="aws",
        account=ACCOUNT,
        region="us-east-1",
    )
    return Inventory(
        entities=(*(_rule("us-east-1", n, world) for n, world in rules), network),
        gaps=gaps,
        scopes=(SCOPE,),
    )


def rule_id(n: int) -> str:
    return f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-{n:08x}/ingress/0"


class Runs:
    """Successive runs against one state directory, an hour apart."""

    def __init__(self, directory: Path) -> None:
        self.store = StateStore(directory, "test")
        self.now = T0

    def run(self, inv: Inventory, **kwargs: object) -> ScanReport:
        report = evaluate(inv, CHECKS)
        with self.store.locked():
            tracked = track(report, self.store.load(), self.now, **kwargs)  # type: ignore[arg-type]
            self.store.save(tracked.state, self.now)
        self.now += timedelta(hours=1)
        return tracked.report


def by_resource(report: ScanReport, check: str = SSH) -> dict[str, Finding]:
    return {f.resource.id: f for f in report.findings if f.check_id == check}


def test_lifecycle_new_open_resolved_gone(tmp_path: Path) -> None:
    runs = Runs(tmp_path)
    first = by_resource(runs.run(inventory((1, True), (2, False), (3, True))))
    assert first[rule_id(1)].lifecycle is Lifecycle.NEW
    assert first[rule_id(1)].first_seen == T0
    assert first[rule_id(2)].lifecycle is None  # a PASS that never failed
    assert first[rule_id(2)].first_seen is None

    # rule 1 still open, rule 3 fixed (PASS now), rule 4 appears
    second = by_resource(runs.run(inventory((1, True), (2, False), (3, False), (4, True))))
    assert second[rule_id(1)].lifecycle is Lifecycle.OPEN
    assert second[rule_id(1)].first_seen == T0
    assert second[rule_id(1)].last_seen == T0 + timedelta(hours=1)
    fixed = second[rule_id(3)]
    assert (fixed.status, fixed.lifecycle, fixed.first_seen) == (
        Status.PASS,
        Lifecycle.RESOLVED,
        T0,
    )
    assert second[rule_id(4)].lifecycle is Lifecycle.NEW

    # rule 1 deleted: resolved once, as a PASS record saying it is gone
    third_report = runs.run(inventory((2, False), (3, False), (4, True)))
    third = by_resource(third_report)
    gone = third[rule_id(1)]
    assert (gone.status, gone.lifecycle) == (Status.PASS, Lifecycle.RESOLVED)
    assert "no longer reported" in gone.message
    assert gone.first_seen == T0 and gone.last_seen == T0 + timedelta(hours=1)
    assert third[rule_id(3)].lifecycle is None  # resolved was emitted once only
    assert third[rule_id(4)].lifecycle is Lifecycle.OPEN
    # the gone record is output, but does not count as a PASS in the control summary
    control = next(s for s in third_report.control_summaries() if s.control_id == "CLD.9.5.1")
    assert control.passed == 2 and control.failed == 1

    fourth = by_resource(runs.run(inventory((2, False), (3, False), (4, True))))
    assert rule_id(1) not in fourth
    assert fourth[rule_id(4)].first_seen == T0 + timedelta(hours=1)
    saved = json.loads(runs.store.path.read_text())
    assert list(saved["findings"]) == [fourth[rule_id(4)].finding_id]


def test_gap_scope_keeps_failing_finding_open(tmp_path: Path) -> None:
    runs = Runs(tmp_path)
    runs.run(inventory((1, True)))
    # firewall rules could not be read in us-east-1: the rule is unseen, not resolved
    report = runs.run(inventory(gap_region="us-east-1"))
    kept = by_resource(report)[rule_id(1)]
    assert kept.status is Status.ERROR
    assert kept.lifecycle is Lifecycle.OPEN
    assert kept.first_seen == T0 and kept.last_seen == T0
    assert "still open" in kept.message
    # seen again: still the same finding, open since the first run
    again = by_resource(runs.run(inventory((1, True))))[rule_id(1)]
    assert (again.lifecycle, again.first_seen) == (Lifecycle.OPEN, T0)


def test_unscanned_check_or_region_is_carried_not_resolved(tmp_path: Path) -> None:
    runs = Runs(tmp_path)
    runs.run(inventory((1, True)))
    other_check = evaluate(inventory(), CHECKS[1:])
    narrow_scope = evaluate(
        Inventory(scopes=(SCOPE.__class__("aws", ACCOUNT, SCOPE.native_id, "", ("eu-west-1",)),)),
        CHECKS,
    )
    for report in (other_check, narrow_scope):
        tracked = track(report, runs.store.load(), runs.now)
        assert rule_id(1) not in by_resource(tracked.report)
        assert len(tracked.state) == 1


def test_min_severity_filters_the_output_not_the_state(tmp_path: Path) -> None:
    runs = Runs(tmp_path)
    runs.run(inventory((1, True)))
    # still failing, below the threshold: not written, still open in the state
    tracked = track(
        evaluate(inventory((1, True)), CHECKS), runs.store.load(), runs.now,
        min_severity=Severity.CRITICAL,
    )  # fmt: skip
    assert tracked.report.findings == ()
    assert [s.finding_id for s in tracked.state.values()] == [
        finding_id(SSH, rule_id(1))
    ]  # fmt: skip
    # gone, below the threshold: resolved in the state, the record not written
    tracked = track(
        evaluate(inventory(), CHECKS), runs.store.load(), runs.now,
        min_severity=Severity.CRITICAL,
    )  # fmt: skip
    assert tracked.report.findings == () and tracked.state == {}


def test_changes_only_keeps_new_and_resolved(tmp_path: Path) -> None:
    runs = Runs(tmp_path)
    runs.run(inventory((1, True), (3, True)))
    report = runs.run(inventory((1, True), (3, False), (4, True)))
    delta = changes(report)
    assert {(f.resource.id, f.lifecycle) for f in delta.findings} == {
        (rule_id(3), Lifecycle.RESOLVED),
        (rule_id(4), Lifecycle.NEW),
    }
    assert delta.control_summaries() == report.control_summaries()


def test_target_name_is_stable_and_short() -> None:
    assert target_name((SCOPE,)) == f"aws-{ACCOUNT}"
    many = tuple(SCOPE.__class__("aws", f"{n:012d}", "x") for n in range(50))
    name = target_name(many)
    assert name.startswith("aws-50accounts-") and len(name) < 40
    assert target_name(tuple(reversed(many))) == name


def test_state_is_replaced_only_after_the_output_is_written(tmp_path: Path) -> None:
    inv = inventory((1, True))
    with (
        pytest.raises(OSError),
        annotated(evaluate(inv, CHECKS), inv, state_dir=tmp_path) as (
            _,
            commit,
        ),
    ):
        raise OSError("disk full while writing findings")
        commit()  # pragma: no cover
    assert [p.name for p in tmp_path.iterdir()] == ["aws-123456789012.lock"]


def test_a_write_that_fails_half_way_leaves_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = Runs(tmp_path)
    runs.run(inventory((1, True)))
    before = runs.store.path.read_bytes()

    def crash(fd: int) -> None:
        raise OSError("killed during fsync")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(StateError, match=r"could not be saved \(killed during fsync\); the prev"):
        runs.run(inventory((1, True), (4, True)))
    assert runs.store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.json", "test.lock"]


# --- the command line ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _test_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    for entry in CHECKS:
        monkeypatch.setitem(registry._REGISTRY, entry.id, entry)


def cli_run(snapshot: Path, state: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    argv = ["evaluate", str(snapshot), "--check", "test.out.*", "--state-dir", str(state)]
    return CliRunner().invoke(cli, [*argv, *args], env=env, catch_exceptions=False)


def _error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cldscan: error: "), result.stderr
    return lines[0]


def test_cli_changes_only_and_exit_status(tmp_path: Path) -> None:
    snap, state = tmp_path / "snap.json", tmp_path / "state"
    write_snapshot(inventory((1, True), (2, False)), snap)
    first = cli_run(snap, state, "-f", "jsonl", "--changes-only")
    assert first.exit_code == 3
    assert [json.loads(line)["lifecycle"] for line in first.stdout.splitlines()] == ["new"]
    second = cli_run(snap, state, "-f", "jsonl", "--changes-only")
    assert second.exit_code == 3  # nothing changed, but the scan still fails
    assert second.stdout == ""
    full = cli_run(snap, state, "-f", "json")
    doc = json.loads(full.stdout)
    assert doc["counts"]["open"] == 1
    failing = next(f for f in doc["findings"] if f["status"] == "FAIL")
    assert failing["lifecycle"] == "open"
    assert failing["first_seen"] <= failing["last_seen"]
    write_snapshot(inventory((1, False), (2, False)), snap)
    fixed = cli_run(snap, state, "-f", "ocsf", "--changes-only")
    assert fixed.exit_code == 0
    (event,) = [json.loads(line) for line in fixed.stdout.splitlines()]
    assert (event["status_id"], event["status"]) == (4, "Resolved")


def test_cli_changes_only_needs_state_dir(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    write_snapshot(inventory((1, True)), snap)
    result = CliRunner().invoke(cli, ["evaluate", str(snap), "--changes-only"])
    assert result.exit_code == 2
    assert "--changes-only needs --state-dir" in _error_line(result)


def test_cli_state_dir_from_environment(tmp_path: Path) -> None:
    snap, state = tmp_path / "snap.json", tmp_path / "env-state"
    write_snapshot(inventory((1, True)), snap)
    CliRunner().invoke(
        cli,
        ["evaluate", str(snap), "--check", "test.out.*", "--state-name", "nightly"],
        env={"CLDSCAN_STATE_DIR": str(state)},
        catch_exceptions=False,
    )
    assert (state / "nightly.json").is_file()


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ("{not json", "is corrupt"),
        ('{"schema": "cldscan.state", "version": 1, "findings": {"x": {}}}', "is corrupt"),
        ('{"schema": "cldscan.state", "version": 9, "findings": {}}', "version 9, newer"),
    ],
)
def test_cli_bad_state_is_one_line_exit_2_and_left_alone(
    tmp_path: Path, content: str, expect: str
) -> None:
    snap, state = tmp_path / "snap.json", tmp_path / "state"
    write_snapshot(inventory((1, True)), snap)
    state.mkdir()
    (state / "s.json").write_text(content)
    result = cli_run(snap, state, "--state-name", "s")
    assert result.exit_code == 2
    line = _error_line(result)
    assert expect in line and str(state / "s.json") in line
    assert (state / "s.json").read_text() == content
    assert result.stdout == ""


def test_cli_second_run_on_locked_state_fails_at_once(tmp_path: Path) -> None:
    snap, state = tmp_path / "snap.json", tmp_path / "state"
    write_snapshot(inventory((1, True)), snap)
    with StateStore(state, f"aws-{ACCOUNT}").locked():
        result = cli_run(snap, state)
        assert result.exit_code == 2
        assert "in use by another cldscan run" in _error_line(result)
    assert cli_run(snap, state).exit_code == 3


def test_cli_bad_state_name(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    write_snapshot(inventory((1, True)), snap)
    result = cli_run(snap, tmp_path, "--state-name", "../escape")
    assert result.exit_code == 2
    assert "--state-name" in _error_line(result)


def test_state_error_is_a_configuration_error() -> None:
    assert StateError("x").exit_code == 2


KILLED_WRITER = """
import os, sys, time
from datetime import UTC, datetime
from pathlib import Path
from scanner.state import StateStore
from tests.test_state import Runs, inventory

runs = Runs(Path(sys.argv[1]))
runs.store = StateStore(Path(sys.argv[1]), "test")
os.fsync = lambda fd: time.sleep(60)  # the temp file is written: hang until killed
runs.run(inventory((1, True), (4, True)))
"""


def test_a_run_killed_while_writing_leaves_the_previous_state(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    runs = Runs(tmp_path)
    runs.run(inventory((1, True)))
    before = runs.store.path.read_bytes()
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], cwd=repo)
    try:
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob(".test.json.*")):
            assert proc.poll() is None, "the writer ended before writing"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert runs.store.path.read_bytes() == before
    # the lock died with the process; the next run reads the old state and tidies up
    again = by_resource(runs.run(inventory((1, True))))
    assert again[rule_id(1)].lifecycle is Lifecycle.OPEN
    assert not list(tmp_path.glob(".test.json.*"))


def test_lifecycle_in_ocsf_events_and_csv(tmp_path: Path) -> None:
    import csv
    import io

    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    from scanner.outputs import ocsf as ocsf_format
    from scanner.outputs import render

    runs = Runs(tmp_path)
    runs.run(inventory((1, True), (3, True)))
    report = runs.run(inventory((1, True), (3, False), (4, True)))
    buf = io.StringIO()
    ocsf_format.render(report, buf)
    events = {e["resources"][0]["uid"]: e for e in map(json.loads, buf.getvalue().splitlines())}
    for event in events.values():
        ComplianceFinding.model_validate(event)
    status = {uid: (e["status_id"], e["status"]) for uid, e in events.items()}
    assert status[rule_id(1)] == (99, "Open")
    assert status[rule_id(3)] == (4, "Resolved")
    assert status[rule_id(4)] == (1, "New")
    info = events[rule_id(1)]["finding_info"]
    assert info["first_seen_time"] == int(T0.timestamp() * 1000)
    assert info["last_seen_time"] == int((T0 + timedelta(hours=1)).timestamp() * 1000)
    assert events[rule_id(1)]["unmapped"]["lifecycle"] == "open"
    buf = io.StringIO()
    render(report, buf, "csv")
    rows = {r["resource_id"]: r for r in csv.DictReader(io.StringIO(buf.getvalue()))}
    assert (rows[rule_id(1)]["lifecycle"], rows[rule_id(1)]["first_seen"]) == (
        "open",
        T0.isoformat(),
    )
    buf = io.StringIO()
    render(report, buf, "table")
    assert "LIFECYCLE" in buf.getvalue() and "open since 2026-01-01" in buf.getvalue()


def test_reader_closing_stdout_early_keeps_the_previous_state(tmp_path: Path) -> None:
    import subprocess
    import sys

    snap, state = tmp_path / "snap.json", tmp_path / "state"
    write_snapshot(inventory((1, True)), snap)
    first = cli_run(snap, state, "-f", "jsonl")
    assert first.exit_code == 3
    before = (state / f"aws-{ACCOUNT}.json").read_bytes()
    write_snapshot(inventory((1, True), (4, True)), snap)
    # the test checks exist only in this process: evaluate the built-in ones instead, so
    # the run has findings (its output is lost either way) and a state to save
    cmd = [sys.executable, "-m", "scanner.cli", "evaluate", str(snap), "--state-dir", str(state)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before cldscan writes anything
    _, err = proc.communicate(timeout=120)
    assert "state_not_saved" in err, err
    assert (state / f"aws-{ACCOUNT}.json").read_bytes() == before
    # the same run with a reader that stays does save the state
    done = subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False
    )
    assert done.returncode == ExitCode.FAILED  # the snapshot has failing findings
    assert (state / f"aws-{ACCOUNT}.json").read_bytes() != before


# --- --severity with state, and a state that cannot be saved ------------------------------------

RAISED = "test.out.raised"


def raised(inv: Inventory, cfg: CheckConfig) -> Iterator[CheckResult]:
    """World-open SSH is critical where the rule guards a public address (tag), else high,
    as checks/firewall.py does for admin ports in front of public IPs."""
    for rule in inv.of(FirewallRule):
        if not rule.admits_world():
            yield CheckResult.passed(rule, "restricted")
        elif rule.tags.get("exposure") == "public":
            yield CheckResult.failed(rule, "open to a public IP", severity=Severity.CRITICAL)
        else:
            yield CheckResult.failed(rule, "open")


def public(inv: Inventory) -> Inventory:
    """The same inventory with every firewall rule guarding a public address."""
    entities = tuple(
        dataclasses.replace(e, tags={"exposure": "public"}) if isinstance(e, FirewallRule) else e
        for e in inv.entities
    )
    return dataclasses.replace(inv, entities=entities)


@pytest.fixture
def raised_check(monkeypatch: pytest.MonkeyPatch) -> None:
    check = dataclasses.replace(CHECKS[0], id=RAISED, severity=Severity.HIGH, func=raised)
    monkeypatch.setitem(registry._REGISTRY, RAISED, check)


def raised_records(result: Result) -> list[dict[str, object]]:
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return [r for r in records if r["check_id"] == RAISED]


@pytest.mark.usefixtures("raised_check")
def test_severity_lowered_between_runs_is_not_resolved(tmp_path: Path) -> None:
    snap, state = tmp_path / "snap.json", tmp_path / "state"
    critical = ("-f", "jsonl", "--severity", "critical")
    write_snapshot(public(inventory((1, True))), snap)
    first = raised_records(cli_run(snap, state, *critical))
    assert [(r["severity"], r["lifecycle"]) for r in first] == [("critical", "new")]
    # the public address is gone: still open, now high, so below --severity critical
    write_snapshot(inventory((1, True)), snap)
    second = cli_run(snap, state, *critical)
    assert second.exit_code == ExitCode.OK, second.stderr
    assert raised_records(second) == []  # not written, and above all not "resolved"
    third = raised_records(cli_run(snap, state, "-f", "jsonl"))
    assert [(r["status"], r["severity"], r["lifecycle"]) for r in third] == [
        ("FAIL", "high", "open")
    ]  # fmt: skip
    assert third[0]["first_seen"] == first[0]["first_seen"]


@pytest.mark.usefixtures("raised_check")
def test_gap_under_severity_keeps_a_critical_finding_open(tmp_path: Path) -> None:
    snap, state = tmp_path / "snap.json", tmp_path / "state"
    critical = ("-f", "jsonl", "--severity", "critical")
    write_snapshot(public(inventory((1, True))), snap)
    (first,) = raised_records(cli_run(snap, state, *critical))
    # the rules cannot be read: the gap's ERROR is high (the check's), the finding critical
    write_snapshot(inventory(gap_region="us-east-1"), snap)
    result = cli_run(snap, state, *critical)
    assert result.exit_code == ExitCode.INCOMPLETE, result.stderr
    records = raised_records(result)
    # the scope's own ERROR (high) is written too: --severity never hides what was not seen
    assert {r["resource"]["kind"] for r in records} == {"scope", "firewall_rule"}
    (kept,) = [r for r in records if r["finding_id"] == first["finding_id"]]
    assert (kept["status"], kept["severity"], kept["lifecycle"]) == ("ERROR", "critical", "open")
    assert kept["finding_id"] == first["finding_id"] and "still open" in kept["message"]
    saved = json.loads((state / f"aws-{ACCOUNT}.json").read_text())["findings"]
    assert saved[first["finding_id"]]["first_seen"] == first["first_seen"]


def test_state_that_cannot_be_saved_still_delivers_to_the_siem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.delivery_listeners import TOKEN, hec_server

    snap, state, out = tmp_path / "snap.json", tmp_path / "state", tmp_path / "f.ocsf.jsonl"
    write_snapshot(inventory((1, True), (2, False)), snap)
    load = StateStore.load

    def load_then_block(store: StateStore) -> dict[str, Seen]:
        """After the lock and the read, a directory takes the state file's name, so the
        rename that saves the state fails (as root, a read-only mode would not stop it)."""
        seen = load(store)
        (store.path / "in-the-way").mkdir(parents=True)
        return seen

    monkeypatch.setattr(StateStore, "load", load_then_block)
    with hec_server() as hec:
        result = cli_run(
            snap, state, "-f", "ocsf", "-o", str(out), "--hec-url", hec.url,
            env={"CLDSCAN_HEC_TOKEN": TOKEN},
        )  # fmt: skip
    assert result.exit_code == ExitCode.USAGE
    assert "could not be saved" in _error_line(result)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(written) == 3
    assert [e["event"] for e in hec.events] == written
