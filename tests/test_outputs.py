"""Output formats: each parses, carries every finding, and OCSF validates."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from scanner.engine import ScanReport, evaluate
from scanner.inventory import (
    FirewallRule,
    Gap,
    GapReason,
    Inventory,
    Network,
    PortRange,
    ScanScope,
)
from scanner.outputs import FORMATS, render, renderer
from scanner.outputs import ocsf as ocsf_format
from scanner.outputs.csv_rows import COLUMNS
from scanner.outputs.table import sort_key
from scanner.registry import Check, CheckConfig
from scanner.results import Result, Severity, Status

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
SCOPE = ScanScope("aws", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", "demo", REGIONS)


def _rule(region: str, n: int, world: bool) -> FirewallRule:
    set_arn = f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/sg-{n:08x}"
    return FirewallRule(
        id=f"{set_arn}/ingress/0",
        provider="aws",
        account=ACCOUNT,
        region=region,
        name=f"sg-{n:08x}/ingress/0",
        set_id=set_arn,
        set_kind="sg",
        protocol="tcp",
        ports=(PortRange(22, 22),),
        sources=("0.0.0.0/0",) if world else ("10.0.0.0/8",),
        source_is_world=world,
    )


def sample_inventory(*, gap: bool = True) -> Inventory:
    """Two rules in us-east-1 (one world-open), a network, and (optionally) a gap on
    firewall rules in eu-west-1."""
    network = Network(
        id=f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/vpc-1",
        provider="aws",
        account=ACCOUNT,
        region="us-east-1",
        name="main",
    )
    gaps = (
        (
            Gap(
                "aws",
                ACCOUNT,
                "eu-west-1",
                "ec2:DescribeSecurityGroups",
                ("firewall_rule", "firewall_rule_set"),
                GapReason.ACCESS_DENIED,
                "AccessDenied",
            ),
        )
        if gap
        else ()
    )
    return Inventory(
        entities=(_rule("us-east-1", 1, True), _rule("us-east-1", 2, False), network),
        gaps=gaps,
        scopes=(SCOPE,),
        collected_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        tool_version="0.1.0",
    )


def world_ssh(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for rule in inv.of(FirewallRule):
        ports = sorted(p for p in cfg.admin_ports if any(r.covers(p) for r in rule.ports))
        if rule.admits_world() and ports:
            yield Result.failed(rule, f"{rule.name} admits the internet", ports=ports)
        else:
            yield Result.passed(rule, f"{rule.name} is restricted", sources=rule.sources)


def networks_seen(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for net in inv.of(Network):
        yield Result.passed(net, f"{net.name} seen", when=datetime(2025, 1, 1, tzinfo=UTC))


CHECKS = (
    Check(
        id="test.out.world_ssh",
        title="No world-open admin ports",
        severity=Severity.HIGH,
        controls=("CLD.9.5.1", "CLD.13.1.4"),
        providers=("aws",),
        needs=(FirewallRule,),
        rationale="Admin ports open to the internet invite brute force.",
        remediation={"any": "Restrict the rule's source."},
        references=("CIS AWS 5.2",),
        func=world_ssh,
    ),
    Check(
        id="test.out.networks_seen",
        title="Networks are inventoried",
        severity=Severity.LOW,
        controls=("CLD.13.1.4",),
        providers=("aws",),
        needs=(Network,),
        rationale="r",
        remediation={},
        references=(),
        func=networks_seen,
    ),
)


@pytest.fixture(scope="module")
def report() -> ScanReport:
    return evaluate(sample_inventory(), CHECKS)


def _text(report: ScanReport, fmt: str) -> str:
    buf = io.StringIO()
    render(report, buf, fmt)
    return buf.getvalue()


def test_sample_report_has_every_status(report: ScanReport) -> None:
    statuses = sorted(f.status.value for f in report.findings)
    assert statuses == ["ERROR", "FAIL", "PASS", "PASS"]


def test_json_document(report: ScanReport) -> None:
    doc = json.loads(_text(report, "json"))
    assert doc["schema"] == "cldscan.findings"
    assert doc["schema_version"] == "1.1"
    assert doc["tool"]["name"] == "cldscan"
    datetime.fromisoformat(doc["generated_at"])
    assert doc["scopes"][0]["account"] == ACCOUNT
    assert doc["gaps"][0]["reason"] == "access_denied"
    assert len(doc["findings"]) == len(report.findings)
    fail = next(f for f in doc["findings"] if f["status"] == "FAIL")
    assert fail["resource"]["id"].startswith("arn:aws:ec2:us-east-1:")
    assert fail["resource"]["kind"] == "firewall_rule"
    assert fail["evidence"] == {"ports": [22]}
    assert fail["controls"] == ["CLD.9.5.1", "CLD.13.1.4"]
    assert fail["references"] == ["CIS AWS 5.2"]
    controls = {c["id"]: c for c in doc["controls"]}
    assert set(controls) == {"CLD.9.5.1", "CLD.9.5.2", "CLD.12.1.5", "CLD.12.4.5", "CLD.13.1.4"}
    assert controls["CLD.13.1.4"]["verdict"] == "fail"
    assert controls["CLD.13.1.4"]["failed"] == 1
    assert controls["CLD.9.5.2"]["verdict"] == "not_evaluated"
    assert controls["CLD.13.1.4"]["manual"]


def test_json_evidence_datetimes_become_strings(report: ScanReport) -> None:
    doc = json.loads(_text(report, "json"))
    seen = next(f for f in doc["findings"] if f["check_id"] == "test.out.networks_seen")
    assert seen["evidence"]["when"] == "2025-01-01T00:00:00+00:00"


def test_jsonl_one_record_per_finding(report: ScanReport) -> None:
    lines = _text(report, "jsonl").splitlines()
    assert len(lines) == len(report.findings)
    records = [json.loads(line) for line in lines]
    assert {r["finding_id"] for r in records} == {f.finding_id for f in report.findings}
    assert all(r["finding_id"].startswith("cldscan-") for r in records)


def test_csv_rows(report: ScanReport) -> None:
    rows = list(csv.DictReader(io.StringIO(_text(report, "csv"))))
    assert len(rows) == len(report.findings)
    assert tuple(rows[0]) == COLUMNS
    fail = next(r for r in rows if r["status"] == "FAIL")
    assert json.loads(fail["evidence"]) == {"ports": [22]}
    assert fail["controls"] == "CLD.9.5.1;CLD.13.1.4"


def test_table_sorts_worst_first_and_summarises(report: ScanReport) -> None:
    text = _text(report, "table")
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["STATUS", "SEVERITY", "CHECK"]
    statuses = [line.split()[0] for line in lines[1:5]]
    assert statuses == ["FAIL", "ERROR", "PASS", "PASS"]
    assert "CLD.13.1.4" in text and "COVERAGE" in text
    assert "Not evaluated by cldscan" in text
    assert "\x1b[" not in text  # no colour off a terminal


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_colour_on_tty_unless_no_color(
    report: ScanReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    tty = _Tty()
    renderer("table")(report, tty)
    assert "\x1b[" in tty.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Tty()
    renderer("table")(report, plain)
    assert "\x1b[" not in plain.getvalue()


def test_table_truncates_long_messages_on_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    long = dataclasses.replace(CHECKS[1], id="test.out.long", func=_long_message)
    rep = evaluate(sample_inventory(gap=False), [long])
    tty = _Tty()
    renderer("table")(rep, tty)
    assert all(len(line) <= 100 for line in tty.getvalue().splitlines())
    file_out = io.StringIO()
    renderer("table")(rep, file_out)
    assert "x" * 300 in file_out.getvalue()


def _long_message(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for net in inv.of(Network):
        yield Result.passed(net, "x" * 300)


def test_sort_key_orders_by_status_then_severity(report: ScanReport) -> None:
    ordered = sorted(report.findings, key=sort_key)
    assert [f.status for f in ordered][:2] == [Status.FAIL, Status.ERROR]


def test_every_format_registered_renders_empty_report() -> None:
    empty = evaluate(Inventory(scopes=(SCOPE,)), CHECKS)
    for fmt in FORMATS:
        _text(empty, fmt)


# --- OCSF --------------------------------------------------------------------------------


def _events(report: ScanReport) -> list[dict[str, object]]:
    buf = io.StringIO()
    ocsf_format.render(report, buf, now=datetime(2025, 1, 2, tzinfo=UTC))
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_ocsf_events_validate_with_py_ocsf_models(report: ScanReport) -> None:
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
    from py_ocsf_models.objects.cloud import Cloud

    events = _events(report)
    assert len(events) == len(report.findings)
    for event in events:
        model = ComplianceFinding.model_validate(event)
        assert model.class_uid == 2003
        assert int(model.type_uid) == 200301
        assert model.compliance.standards == ["ISO/IEC 27017:2015"]
        # ComplianceFinding in py-ocsf-models 0.10 has no ``cloud`` attribute (the cloud
        # profile): validate that object on its own.
        Cloud.model_validate(event["cloud"])


def test_ocsf_field_mapping(report: ScanReport) -> None:
    by_status = {e["compliance"]["status_code"]: e for e in _events(report)}  # type: ignore[index]
    fail = by_status["FAIL"]
    assert fail["category_uid"] == 2
    assert fail["activity_id"] == 1
    assert fail["time"] == int(datetime(2025, 1, 2, tzinfo=UTC).timestamp() * 1000)
    assert fail["severity_id"] == 4
    assert fail["metadata"]["version"] == ocsf_format.OCSF_VERSION  # type: ignore[index]
    assert fail["metadata"]["event_code"] == "test.out.world_ssh"  # type: ignore[index]
    finding = next(f for f in report.findings if f.status is Status.FAIL)
    assert fail["metadata"]["uid"] == finding.finding_id  # type: ignore[index]
    assert fail["finding_info"]["uid"] == finding.finding_id  # type: ignore[index]
    assert fail["compliance"]["requirements"] == ["CLD.9.5.1", "CLD.13.1.4"]  # type: ignore[index]
    assert fail["compliance"]["control"] == "test.out.world_ssh"  # type: ignore[index]
    assert fail["compliance"]["status_id"] == 3  # type: ignore[index]
    resource = fail["resources"][0]  # type: ignore[index]
    assert resource["uid"] == finding.resource.id
    assert resource["cloud_partition"] == "aws"
    assert fail["cloud"] == {  # type: ignore[comparison-overlap]
        "provider": "AWS",
        "account": {"uid": ACCOUNT, "name": "demo", "type_id": 10, "type": "AWS Account"},
        "region": "us-east-1",
    }
    assert fail["unmapped"] == {"evidence": {"ports": [22]}}
    assert fail["remediation"]["desc"] == "Restrict the rule's source."  # type: ignore[index]
    assert by_status["PASS"]["compliance"]["status_id"] == 1  # type: ignore[index]
    error = by_status["ERROR"]["compliance"]
    assert error["status_id"] == 99  # type: ignore[index]
    assert error["status"] == "Not evaluated"  # type: ignore[index]


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (Severity.INFO, 1),
        (Severity.LOW, 2),
        (Severity.MEDIUM, 3),
        (Severity.HIGH, 4),
        (Severity.CRITICAL, 5),
    ],
)
def test_ocsf_severity_ids(severity: Severity, expected: int) -> None:
    finding = evaluate(sample_inventory(gap=False), CHECKS).findings[0]
    event = ocsf_format.event(dataclasses.replace(finding, severity=severity), time_ms=0)
    assert event["severity_id"] == expected
