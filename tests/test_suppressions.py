"""Suppressions: matching on every key, expiry, bad files with line numbers, outputs, exit."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scanner import registry
from scanner.cli import cli
from scanner.engine import ScanReport, evaluate
from scanner.inventory import Inventory
from scanner.outputs import ocsf as ocsf_format
from scanner.outputs import render
from scanner.results import Status
from scanner.snapshot import write_snapshot
from scanner.suppressions import Suppressions, SuppressionsError, apply, load, tags_from
from tests.test_outputs import ACCOUNT, CHECKS, SCOPE, _rule

TODAY = date(2026, 6, 1)
RULE1 = f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-00000001/ingress/0"


def inventory() -> Inventory:
    """Two world-open rules (1 tagged env=sandbox, 3 untagged) and a restricted one."""
    tagged = dataclasses.replace(_rule("us-east-1", 1, True), tags={"env": "sandbox", "t": "x"})
    return Inventory(
        entities=(tagged, _rule("us-east-1", 2, False), _rule("us-east-1", 3, True)),
        scopes=(SCOPE,),
    )


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def suppressed_ids(tmp_path: Path, entry: str, today: date = TODAY) -> set[str]:
    rules = load(write(tmp_path, "suppressions:\n  - reason: r\n    owner: o\n" + entry))
    inv = inventory()
    report = apply(evaluate(inv, CHECKS), rules, tags_from(inv), today)
    return {f.resource.id for f in report.findings if f.suppressed}


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("    check: 'test.out.world_*'\n", {1, 3}),
        ("    check: test.out.networks_seen\n", set()),
        ("    provider: aws\n", {1, 3}),
        ("    provider: gcp\n", set()),
        (f"    account: '{ACCOUNT}'\n", {1, 3}),
        ("    account: '9*'\n", set()),
        ("    region: 'us-*'\n", {1, 3}),
        ("    region: eu-west-1\n", set()),
        ("    resource: '*sg-00000001/*'\n", {1}),
        ("    resource_regex: '.*sg-0000000[13]/ingress/0'\n", {1, 3}),
        ("    resource_regex: 'sg-00000001'\n", set()),  # a full match, not a search
        ("    tags: {env: sandbox}\n", {1}),
        ("    tags: {env: 'sand*', t: x}\n", {1}),
        ("    tags: {env: sandbox, owner: me}\n", set()),  # every tag must match
        ("    check: 'test.out.*'\n    resource: '*00000003*'\n", {3}),
    ],
)
def test_matching_on_each_key(tmp_path: Path, entry: str, expected: set[int]) -> None:
    ids = {f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-{n:08x}/ingress/0" for n in expected}
    assert suppressed_ids(tmp_path, entry) == ids


def test_only_fail_findings_are_suppressed(tmp_path: Path) -> None:
    rules = load(write(tmp_path, "- {check: '*', reason: r, owner: o}\n"))
    inv = dataclasses.replace(inventory(), gaps=())
    report = apply(evaluate(inv, CHECKS), rules, tags_from(inv), TODAY)
    assert {f.status for f in report.findings if f.suppressed} == {Status.FAIL}
    assert any(f.status is Status.PASS for f in report.findings)


def test_expiry_is_inclusive_and_expired_entries_are_reported(tmp_path: Path) -> None:
    entry = "    resource: '*sg-00000001*'\n    expires: 2026-06-01\n"
    assert suppressed_ids(tmp_path, entry, today=date(2026, 6, 1)) == {RULE1}
    assert suppressed_ids(tmp_path, entry, today=date(2026, 6, 2)) == set()
    rules = load(write(tmp_path, "- {check: x, reason: r, owner: o, expires: '2026-01-01'}\n"))
    inv = inventory()
    report = apply(evaluate(inv, CHECKS), rules, tags_from(inv), TODAY)
    assert [m.expires for m in report.expired_suppressions] == [date(2026, 1, 1)]
    assert report.unused_suppressions == ()


def test_first_matching_entry_wins_and_unused_entries_are_listed(tmp_path: Path) -> None:
    text = (
        "version: 1\nsuppressions:\n"
        "  - {id: narrow, resource: '*00000001*', reason: a, owner: o}\n"
        "  - {id: broad, check: '*', reason: b, owner: o}\n"
        "  - {id: never, account: '000000000000', reason: c, owner: o}\n"
    )
    rules = load(write(tmp_path, text))
    inv = inventory()
    report = apply(evaluate(inv, CHECKS), rules, tags_from(inv), TODAY)
    marks = {f.resource.id: f.suppression.entry for f in report.findings if f.suppression}
    assert marks[RULE1] == "narrow"
    assert set(marks.values()) == {"narrow", "broad"}
    assert [m.entry for m in report.unused_suppressions] == ["never"]


def test_default_entry_name_is_file_and_line(tmp_path: Path) -> None:
    rules = load(write(tmp_path, "suppressions:\n\n  - check: x\n    reason: r\n    owner: o\n"))
    assert rules.rules[0].mark.entry == "s.yaml:3"


def test_toml_file(tmp_path: Path) -> None:
    text = (
        'version = 1\n\n[[suppressions]]\ncheck = "test.out.*"\nresource = "*00000001*"\n'
        'reason = "r"\nowner = "o"\nexpires = 2026-12-31\n\n'
        '[[suppressions]]\ntags = { env = "sandbox" }\nreason = "r"\nowner = "o"\n'
    )
    rules = load(write(tmp_path, text, "s.toml"))
    assert [r.line for r in rules.rules] == [3, 10]
    assert rules.rules[0].mark.expires == date(2026, 12, 31)
    no_owner = text[: text.rindex('owner = "o"')]
    with pytest.raises(SuppressionsError, match=r"s\.toml:10: suppression entry 2: 'owner'"):
        load(write(tmp_path, no_owner, "s.toml"))


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        (
            "- {check: a, reason: r, owner: o}\n- {check: a, reason: r, colour: red, owner: o}\n",
            r"s\.yaml:2: suppression entry 2: unknown key 'colour'",
        ),
        ("- check: a\n  owner: o\n", r"s\.yaml:1: suppression entry 1: 'reason' is required"),
        ("suppressions:\n  - check: a\n    reason: r\n", r"s\.yaml:2: .* 'owner' is required"),
        (
            "- {check: a, reason: r, owner: o, expires: 31/12/2026}\n",
            r":1: .*bad date '31/12/2026'",
        ),
        ("- {check: a, reason: r, owner: o, expires: 2026-02-30}\n", r":1: .*bad date"),
        ("- {resource_regex: '([', reason: r, owner: o}\n", r":1: .*bad pattern"),
        ("- {account: 012345670123, reason: r, owner: o}\n", r"'account' .*quote it"),
        ("- {provider: oracle, reason: r, owner: o}\n", r"provider 'oracle'"),
        ("- {reason: r, owner: o}\n", r"would match every finding"),
        ("- {tags: {}, reason: r, owner: o}\n", r"would match every finding"),
        ("- {tags: {on: yes}, check: a, reason: r, owner: o}\n", r"'tags' must map"),
        ("- {resource: a, resource_regex: b, reason: r, owner: o}\n", r"not both"),
        (
            "- {id: x, check: a, reason: r, owner: o}\n- {id: x, check: b, reason: r, owner: o}\n",
            r":2: suppression entry 2: duplicate id 'x'",
        ),
        ("- check: a\n  reason: [unclosed\n", r"s\.yaml:\d+: not valid YAML"),
        ("rules: []\n", r"unknown top-level key 'rules'"),
        ("version: 2\nsuppressions: []\n", r"version 2 is not supported"),
        ("- just a string\n", r":1: suppression entry 1: an entry must be a mapping"),
        # unknown keys of mixed types (YAML reads 1 as an int, ~ as null): not a crash
        ("{1: a, b: c}\n", r"s\.yaml:1: unknown top-level key 1 \(allowed"),
        ("~: a\nb: c\n", r"s\.yaml:1: unknown top-level key None \(allowed"),
        ("- {check: x, 1: y, colour: z, reason: r, owner: o}\n", r"entry 1: unknown key 1 "),
        ("- {check: x, ~: y, 1: z, reason: r, owner: o}\n", r"entry 1: unknown key 1 "),
        ("- {check: x, ~: y, reason: r, owner: o}\n", r"entry 1: unknown key None \(allowed"),
    ],
)
def test_bad_files_name_file_line_and_problem(tmp_path: Path, text: str, expect: str) -> None:
    with pytest.raises(SuppressionsError, match=expect) as caught:
        load(write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_empty_file_has_no_rules(tmp_path: Path) -> None:
    assert load(write(tmp_path, "")).rules == ()
    assert load(write(tmp_path, "suppressions: []\n")).rules == ()


# --- outputs ---------------------------------------------------------------------------------


@pytest.fixture
def report(tmp_path: Path) -> ScanReport:
    rules: Suppressions = load(
        write(
            tmp_path,
            "- {resource: '*00000001*', reason: sandbox, owner: ops, expires: 2026-12-31}\n",
        )
    )
    inv = inventory()
    return apply(evaluate(inv, CHECKS), rules, tags_from(inv), TODAY)


def test_control_counts_exclude_suppressed_from_verdict(report: ScanReport, tmp_path: Path) -> None:
    control = next(s for s in report.control_summaries() if s.control_id == "CLD.9.5.1")
    assert (control.failed, control.suppressed, control.passed, control.verdict) == (
        1,
        1,
        1,
        "fail",
    )
    assert control.coverage == 1.0
    rules = load(write(tmp_path, "- {check: 'test.out.world_ssh', reason: r, owner: o}\n"))
    inv = inventory()
    accepted = apply(evaluate(inv, CHECKS), rules, tags_from(inv), TODAY)
    control = next(s for s in accepted.control_summaries() if s.control_id == "CLD.9.5.1")
    assert (control.failed, control.suppressed, control.verdict) == (0, 2, "pass")


def test_control_with_only_suppressed_fails_passes_in_every_format(tmp_path: Path) -> None:
    """Accepted risks are evaluated results: the verdict is pass, not not_evaluated."""
    from scanner.outputs.html import render as render_html

    rules = load(write(tmp_path, "- {check: 'test.out.world_ssh', reason: r, owner: o}\n"))
    inv = Inventory(entities=(_rule("us-east-1", 1, True),), scopes=(SCOPE,))
    accepted = apply(evaluate(inv, CHECKS[:1]), rules, tags_from(inv), TODAY)
    control = next(s for s in accepted.control_summaries() if s.control_id == "CLD.9.5.1")
    assert (control.passed, control.failed, control.suppressed) == (0, 0, 1)
    assert (control.verdict, control.coverage) == ("pass", 1.0)
    buf = io.StringIO()
    render(accepted, buf, "json")
    doc = json.loads(buf.getvalue())
    rec = next(c for c in doc["controls"] if c["id"] == "CLD.9.5.1")
    assert (rec["verdict"], rec["suppressed"], rec["coverage"]) == ("pass", 1, 1.0)
    buf = io.StringIO()
    render(accepted, buf, "table")
    row = next(line for line in buf.getvalue().splitlines() if line.startswith("CLD.9.5.1"))
    assert row.split()[1:7] == ["pass", "0", "0", "0", "1", "100%"]
    buf = io.StringIO()
    render_html(accepted, buf)
    card = buf.getvalue().split('id="control-CLD.9.5.1"', 1)[1].split("</article>", 1)[0]
    assert 'class="badge v-pass"' in card and "Not evaluated</span>" not in card
    assert ">100%<" in card
    chart = buf.getvalue().split('aria-labelledby="bars-title"', 1)[1].split("</svg>", 1)[0]
    assert "CLD.9.5.1: 1 suppressed" in chart
    assert "0 pass · 0 fail · 0 not evaluated · 1 suppressed" in chart


def test_native_records_and_csv(report: ScanReport) -> None:
    buf = io.StringIO()
    render(report, buf, "json")
    doc = json.loads(buf.getvalue())
    rec = next(f for f in doc["findings"] if f["resource"]["id"] == RULE1)
    assert rec["suppressed"] is True
    assert rec["suppression"] == {
        "reason": "sandbox",
        "owner": "ops",
        "expires": "2026-12-31",
        "entry": "s.yaml:1",
    }
    assert doc["counts"]["suppressed"] == 1 and doc["counts"]["fail"] == 2
    assert doc["suppressions"] == {"expired": [], "unused": []}
    assert next(c for c in doc["controls"] if c["id"] == "CLD.9.5.1")["suppressed"] == 1
    buf = io.StringIO()
    render(report, buf, "csv")
    row = next(r for r in csv.DictReader(io.StringIO(buf.getvalue())) if r["resource_id"] == RULE1)
    assert (row["suppressed"], row["suppression_owner"], row["suppression_expires"]) == (
        "true",
        "ops",
        "2026-12-31",
    )


def test_table_marks_suppressed_after_real_failures(report: ScanReport) -> None:
    buf = io.StringIO()
    render(report, buf, "table")
    lines = buf.getvalue().splitlines()
    assert lines[1].split()[0] == "FAIL" and "(suppressed)" not in lines[1]
    assert lines[2].startswith("FAIL (suppressed)")
    assert "SUPPRESSED" in buf.getvalue()
    assert "s.yaml:1  1 finding(s)  owner ops  until 2026-12-31: sandbox" in buf.getvalue()


def test_ocsf_suppressed_events_validate(report: ScanReport) -> None:
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    buf = io.StringIO()
    ocsf_format.render(report, buf)
    events = [json.loads(line) for line in buf.getvalue().splitlines()]
    for event in events:
        ComplianceFinding.model_validate(event)
    (sup,) = [e for e in events if e["status_id"] == 3]
    assert sup["status"] == "Suppressed"
    assert "sandbox" in sup["status_detail"] and "ops" in sup["status_detail"]
    assert sup["unmapped"]["suppression"]["owner"] == "ops"
    assert sup["compliance"]["status_id"] == 3  # still a failed control, accepted


# --- the command line ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _test_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    for entry in CHECKS:
        monkeypatch.setitem(registry._REGISTRY, entry.id, entry)


def cli_run(tmp_path: Path, suppressions: str, *args: str) -> Result:
    snap = tmp_path / "snap.json"
    write_snapshot(inventory(), snap)
    path = write(tmp_path, suppressions, "cli.yaml")
    argv = ["evaluate", str(snap), "--check", "test.out.*", "--suppressions", str(path)]
    return CliRunner().invoke(cli, [*argv, *args])


def test_cli_exit_status_ignores_suppressed_fails(tmp_path: Path) -> None:
    some = cli_run(tmp_path, "- {resource: '*00000001*', reason: r, owner: o}\n")
    assert some.exit_code == 3
    every = cli_run(
        tmp_path, "- {check: 'test.out.world_ssh', reason: r, owner: o}\n", "-f", "json"
    )
    assert every.exit_code == 0
    doc = json.loads(every.stdout)
    assert [f["suppressed"] for f in doc["findings"] if f["status"] == "FAIL"] == [True, True]


def test_cli_expired_entry_warns_on_stderr_and_applies_no_more(tmp_path: Path) -> None:
    result = cli_run(
        tmp_path,
        "- {id: old, check: 'test.out.*', reason: r, owner: alice, expires: 2020-01-01}\n",
        "-f",
        "json",
    )
    assert result.exit_code == 3
    warnings = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(w["event"], w["entry"], w["owner"]) for w in warnings] == [
        ("suppression_expired", "old", "alice")
    ]
    assert json.loads(result.stdout)["suppressions"]["expired"][0]["entry"] == "old"


def test_cli_bad_file_is_one_line_exit_2(tmp_path: Path) -> None:
    result = cli_run(tmp_path, "- {check: a, reason: r}\n")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith("cldscan: error: ") and "cli.yaml:1: suppression entry 1" in lines[0]


def test_cli_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["evaluate", "x.json", "--suppressions", str(tmp_path / "no")])
    assert result.exit_code == 2
    assert "cannot read suppressions file" in result.stderr


def test_status_is_fail_for_suppressed_in_every_record(report: ScanReport) -> None:
    sup = next(f for f in report.findings if f.suppressed)
    assert sup.status is Status.FAIL and not sup.failing


REPO = Path(__file__).resolve().parent.parent


def test_shipped_example_and_documented_toml_load(tmp_path: Path) -> None:
    example = load(REPO / "examples" / "suppressions.yaml")
    assert [r.mark.entry for r in example.rules] == [
        "scratch-legacy-boot",
        "legacy-sg-migration",
        "sandbox-subscriptions",
        "gcp-ci-runners",
    ]
    doc = (REPO / "docs" / "suppressions.md").read_text()
    toml = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    (rule,) = load(write(tmp_path, toml, "doc.toml")).rules
    yaml_block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    (same,) = load(write(tmp_path, yaml_block)).rules
    assert dataclasses.replace(same, line=0) == dataclasses.replace(rule, line=0)
