"""The ``html`` audit report: self-contained, escaped, and right in a real browser.

The browser tests load the page in headless chromium (tests/browser.py): no console
errors, per-control numbers equal to the ``json`` document's, sorting, filtering, the
XSS probes inert, and everything readable with scripts off.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from scanner.outputs import html as html_format
from scanner.outputs import json_doc
from scanner.registry import Check, CheckConfig
from scanner.results import Lifecycle, Result, Severity, Status, Suppression
from tests.browser import chromium, console_errors

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

AWS = ScanScope(
    "aws", "123456789012", "arn:aws:iam::123456789012:root", "prod", ("us-east-1", "eu-west-1")
)
GCP = ScanScope("gcp", "demo-project", "projects/demo-project", "demo", ("europe-west1",))
SCRIPT_PROBE = "<script>alert(1)</script>"
IMG_PROBE = '<img src=x onerror="window.__pwned=1">'
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
COLLECTED = datetime(2026, 1, 1, 23, 0, 0, tzinfo=UTC)
DEMO = (sys.executable, "-m", "scanner.cli", "demo", "--provider", "aws")


def _aws_rule(region: str, n: int, name: str, world: bool) -> FirewallRule:
    set_arn = f"arn:aws:ec2:{region}:{AWS.account}:security-group/sg-{n:08x}"
    return FirewallRule(
        id=f"{set_arn}/ingress/0",
        provider="aws",
        account=AWS.account,
        region=region,
        name=name,
        set_id=set_arn,
        set_kind="sg",
        protocol="tcp",
        ports=(PortRange(22, 22),),
        sources=("0.0.0.0/0",) if world else ("10.0.0.0/8",),
        source_is_world=world,
        tags={"Name": name},
    )


def _gcp_rule(name: str, world: bool) -> FirewallRule:
    link = f"https://www.googleapis.com/compute/v1/projects/{GCP.account}/global/firewalls/{name}"
    return FirewallRule(
        id=link,
        provider="gcp",
        account=GCP.account,
        region="global",
        name=name,
        set_id=link,
        set_kind="firewall",
        protocol="tcp",
        ports=(PortRange(22, 22),),
        sources=("0.0.0.0/0",) if world else ("10.0.0.0/8",),
        source_is_world=world,
    )


def sample_inventory() -> Inventory:
    """AWS and GCP: world-open rules (two named with XSS probes), closed rules, networks,
    and a gap on firewall rules in AWS eu-west-1."""
    entities = (
        _aws_rule("us-east-1", 1, SCRIPT_PROBE, True),
        _aws_rule("us-east-1", 2, "bastion-critical", True),
        _aws_rule("us-east-1", 3, "internal", False),
        _gcp_rule("allow-ssh-world", True),
        _gcp_rule(IMG_PROBE, True),
        _gcp_rule("allow-internal", False),
        Network(
            id=f"arn:aws:ec2:us-east-1:{AWS.account}:vpc/vpc-1",
            provider="aws",
            account=AWS.account,
            region="us-east-1",
            name="main",
        ),
    )
    gap = Gap(
        "aws",
        AWS.account,
        "eu-west-1",
        "ec2:DescribeSecurityGroups",
        ("firewall_rule", "firewall_rule_set"),
        GapReason.ACCESS_DENIED,
        f"AccessDenied {SCRIPT_PROBE}",
    )
    return Inventory(
        entities=entities,
        gaps=(gap,),
        scopes=(AWS, GCP),
        collected_at=COLLECTED,
        tool_version="0.1.0",
    )


def world_ssh(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for rule in inv.of(FirewallRule):
        if rule.admits_world():
            severity = Severity.CRITICAL if "critical" in rule.name else None
            yield Result.failed(
                rule,
                f"{rule.name} admits the internet to port 22",
                severity=severity,
                name=rule.name,
            )
        else:
            yield Result.passed(rule, f"{rule.name} is restricted")


def networks_seen(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for net in inv.of(Network):
        yield Result.passed(net, f"{net.name} seen")


CHECKS = (
    Check(
        id="test.html.world_ssh",
        title="No world-open SSH",
        severity=Severity.HIGH,
        controls=("CLD.9.5.1", "CLD.13.1.4"),
        providers=("aws", "gcp"),
        needs=(FirewallRule,),
        rationale="r",
        remediation={"aws": "Revoke the security group rule.", "gcp": "Delete the firewall."},
        references=("CIS AWS 5.2",),
        func=world_ssh,
    ),
    Check(
        id="test.html.networks_seen",
        title="Networks are inventoried",
        severity=Severity.LOW,
        controls=("CLD.12.4.5",),
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


@pytest.fixture(scope="module")
def page(report: ScanReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    with path.open("w", encoding="utf-8") as fh:
        html_format.render(report, fh, now=NOW)
    return path


def _json_controls(report: ScanReport) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in json_doc.document(report)["controls"]}


class _Collector(HTMLParser):
    """Tags with their attributes, script bodies, and per-control counts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.counts: dict[str, dict[str, str]] = {}
        self._control = ""
        self._field = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        self._in_script = tag == "script"
        if tag == "article" and a.get("data-control"):
            self._control = a["data-control"] or ""
            self.counts[self._control] = {}
        self._field = (a.get("data-field") or "") if self._control else ""

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False
        self._field = ""
        if tag == "article":
            self._control = ""

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        if self._field:
            self.counts[self._control][self._field] = data


def _parse(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    return parser


# --- without a browser -------------------------------------------------------------------


def test_sample_report_has_every_status_and_both_providers(report: ScanReport) -> None:
    assert {f.status for f in report.findings} == set(Status)
    assert {f.resource.provider for f in report.findings} == {"aws", "gcp"}


_VOID = {"meta", "link", "br", "wbr", "img", "input", "hr"}


class _Nesting(HTMLParser):
    """Every element the report opens is closed, in order (SVG shapes self-close)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A self-closing tag (``<rect/>``) opens nothing that must be closed."""

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            self.errors.append(f"end tag for void {tag}")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def test_markup_is_well_nested(page: Path) -> None:
    checker = _Nesting()
    checker.feed(page.read_text("utf-8"))
    assert checker.errors == []
    assert checker.stack == []


def test_page_is_self_contained(page: Path) -> None:
    parsed = _parse(page.read_text("utf-8"))
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "action", "data", "poster"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("#", "data:")), (tag, name, value)
        assert not (tag == "link" and attrs.get("rel") == "stylesheet")
    text = page.read_text("utf-8")
    assert "@import" not in text
    assert "url(http" not in text
    assert len(parsed.scripts) == 1  # the report's own, inline


def test_attacker_controlled_text_is_escaped(page: Path) -> None:
    text = page.read_text("utf-8")
    assert SCRIPT_PROBE not in text
    assert IMG_PROBE not in text
    assert text.count("<script") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in text


def test_csp_allows_only_the_inline_blocks() -> None:
    from scanner.outputs.html_assets import CSP, CSS, JS, csp_hash

    assert "default-src 'none'" in CSP
    assert f"script-src {csp_hash(JS)};" in CSP
    assert f"style-src {csp_hash(CSS)};" in CSP
    assert "unsafe-inline" not in CSP


def test_control_counts_equal_the_json_document(report: ScanReport, page: Path) -> None:
    counts = _parse(page.read_text("utf-8")).counts
    controls = _json_controls(report)
    assert set(counts) == set(controls)
    for cid, c in controls.items():
        shown = counts[cid]
        assert int(shown["passed"]) == c["passed"], cid
        assert int(shown["failed"]) == c["failed"], cid
        assert int(shown["errors"]) == c["errors"], cid


def test_header_says_when_collected_and_generated(page: Path) -> None:
    text = page.read_text("utf-8")
    assert 'configuration collected <time datetime="2026-01-01T23:00:00+00:00">' in text
    assert 'report generated <time datetime="2026-01-02T03:04:05+00:00">' in text


def test_incomplete_banner_names_scopes_and_gaps(page: Path) -> None:
    text = page.read_text("utf-8")
    assert "Incomplete: 1 scope not evaluated" in text
    assert "aws 123456789012 eu-west-1. 1 finding not evaluated (ERROR)" in text
    assert "ec2:DescribeSecurityGroups" in text
    assert "access_denied" in text


def test_status_filter_does_not_hide_incompleteness(report: ScanReport) -> None:
    """``--status FAIL`` hides the ERROR findings; the summaries still count them."""
    shown = dataclasses.replace(
        report,
        findings=tuple(f for f in report.findings if f.status is Status.FAIL),
        _summary=list(report.control_summaries()),
    )
    text = html_format.document(shown, now=NOW)
    assert "Incomplete: 1 scope not evaluated" in text
    assert "✓ Complete" not in text
    assert 'id="filtered"' in text
    assert 'id="filtered"' not in html_format.document(report, now=NOW)


def test_scope_table_counts_each_account(page: Path) -> None:
    text = page.read_text("utf-8")
    # fail, not evaluated, pass: AWS has 2 world-open rules, the eu-west-1 gap, the
    # closed rule and the network; GCP 2 world-open rules and the closed one.
    assert "<td>us-east-1, eu-west-1</td><td>2</td><td>1</td><td>2</td>" in text
    assert "<td>europe-west1</td><td>2</td><td>0</td><td>1</td>" in text


def test_complete_report_says_so() -> None:
    inv = Inventory(entities=sample_inventory().entities, scopes=(AWS, GCP))
    text = html_format.document(evaluate(inv, CHECKS), now=NOW)
    assert "✓ Complete" in text
    assert "Incomplete" not in text


def test_failing_resources_carry_their_providers_remediation(page: Path) -> None:
    text = page.read_text("utf-8")
    assert "Remediation (aws):</strong> Revoke the security group rule." in text
    assert "Remediation (gcp):</strong> Delete the firewall." in text
    assert "Hypervisor and storage isolation" in text  # a manual part of CLD.9.5.1


def test_control_cards_cap_listed_resources_but_the_table_has_all() -> None:
    many = tuple(_aws_rule("us-east-1", n, f"open-{n}", True) for n in range(55))
    report = evaluate(Inventory(entities=many, scopes=(AWS,)), CHECKS)
    text = html_format.document(report, now=NOW)
    assert "Failing resources (55)" in text
    assert text.count("… and 5 more: see the findings table.") == 2  # two controls
    assert text.count('<tr data-order="') == 55


def test_empty_report_renders() -> None:
    text = html_format.document(evaluate(Inventory(scopes=(AWS,)), CHECKS), now=NOW)
    assert "Findings (0)" in text
    assert "0 failing findings" in text


def test_cli_writes_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from scanner import registry
    from scanner.cli import cli
    from scanner.snapshot import write_snapshot

    for entry in CHECKS:
        monkeypatch.setitem(registry._REGISTRY, entry.id, entry)
    snap, out = tmp_path / "snap.json", tmp_path / "report.html"
    write_snapshot(sample_inventory(), snap)
    args = ["evaluate", str(snap), "--check", "test.html.*", "-f", "html"]
    to_file = CliRunner().invoke(cli, [*args, "-o", str(out)], catch_exceptions=False)
    assert to_file.exit_code == 3, to_file.output
    assert to_file.stdout == ""
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    to_stdout = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert to_stdout.stdout.startswith("<!DOCTYPE html>")
    assert to_stdout.stdout.rstrip().endswith("</html>")


def test_suppressed_and_lifecycle_fields_are_shown(report: ScanReport) -> None:
    mark = Suppression(
        reason="accepted <b>risk</b>", owner="sec-team", expires=None, entry="s.yaml:3"
    )
    first = datetime(2025, 12, 1, tzinfo=UTC)
    target = next(f for f in report.findings if f.resource.name == "bastion-critical")
    findings = tuple(
        dataclasses.replace(f, suppression=mark, lifecycle=Lifecycle.OPEN, first_seen=first)
        if f is target
        else dataclasses.replace(f, lifecycle=Lifecycle.NEW, first_seen=NOW)
        if f.status is Status.FAIL
        else f
        for f in report.findings
    )
    marked = dataclasses.replace(report, findings=findings, _summary=[])
    text = html_format.document(marked, now=NOW)
    assert "Suppressed failures (1)" in text
    assert "accepted &lt;b&gt;risk&lt;/b&gt;" in text and "<b>risk" not in text
    assert '<span class="badge sup">suppressed</span>' in text
    assert '<th scope="col">Lifecycle</th>' in text
    assert "since 2025-12-01T00:00:00+00:00" in text
    fails = sum(f.status is Status.FAIL for f in findings)
    assert f'<dd id="total-fail">{fails - 1}</dd>' in text
    assert '<dd id="total-suppressed">1</dd>' in text
    assert f"{fails - 1} failing findings by severity" in text
    counts = _parse(text).counts
    for cid, c in _json_controls(marked).items():
        assert int(counts[cid]["failed"]) == c["failed"], cid
        assert int(counts[cid].get("suppressed", "0")) == c["suppressed"], cid


def test_expired_suppressions_are_announced(report: ScanReport) -> None:
    old = Suppression(
        reason="until the <migration>", owner="net-team", expires=date(2025, 1, 31), entry="s:7"
    )
    text = html_format.document(dataclasses.replace(report, expired_suppressions=(old,)), now=NOW)
    assert "1 suppression expired: no longer applied" in text
    assert "s:7: until the &lt;migration&gt; (owner net-team, expired 2025-01-31)" in text


# --- in headless chromium ----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def _load(driver: WebDriver, path: Path) -> None:
    console_errors(driver)  # drop what an earlier page left
    driver.get(path.as_uri())


def _rows(driver: WebDriver) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr"))


def _visible_statuses(driver: WebDriver) -> list[str]:
    script = (
        "return Array.from(document.querySelectorAll('#findings-table tbody tr'))"
        ".filter(r => !r.hidden).map(r => r.dataset.status);"
    )
    return list(driver.execute_script(script))


def test_browser_renders_without_console_errors(browser: WebDriver, page: Path) -> None:
    browser.get(page.as_uri())
    assert browser.title.startswith("cldscan audit report")
    assert console_errors(browser) == []
    assert browser.execute_script("return window.__pwned") is None
    # The script ran (the filters are shown) and the CSP allowed it.
    assert browser.find_element("id", "filters").is_displayed()


def test_browser_control_numbers_match_json(
    browser: WebDriver, page: Path, report: ScanReport
) -> None:
    _load(browser, page)
    for cid, c in _json_controls(report).items():
        card = browser.find_element("id", f"control-{cid}")

        def field(name: str, card: Any = card) -> str:
            return str(card.find_element("css selector", f'[data-field="{name}"]').text)

        assert int(field("passed")) == c["passed"], cid
        assert int(field("failed")) == c["failed"], cid
        assert int(field("errors")) == c["errors"], cid
        total = c["passed"] + c["failed"] + c["errors"]
        assert field("coverage") == (f"{c['coverage']:.0%}" if total else "-"), cid
        verdict = field("verdict").lower()
        expected = c["verdict"].replace("_", " ")
        assert expected in verdict, (cid, verdict)
        assert ("incomplete" in verdict) == (not c["complete"]), cid


def test_browser_sorting_reorders_rows(browser: WebDriver, page: Path) -> None:
    _load(browser, page)
    before = [r.get_attribute("data-order") for r in _rows(browser)]
    header = browser.find_element("xpath", "//th[.//button[normalize-space()='Severity']]")
    header.find_element("tag name", "button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    ranks = [
        int(r.find_elements("tag name", "td")[1].get_attribute("data-sort")) for r in _rows(browser)
    ]
    assert ranks == sorted(ranks)
    ascending = [r.get_attribute("data-order") for r in _rows(browser)]
    assert ascending != before
    header.find_element("tag name", "button").click()
    assert header.get_attribute("aria-sort") == "descending"
    ranks = [
        int(r.find_elements("tag name", "td")[1].get_attribute("data-sort")) for r in _rows(browser)
    ]
    assert ranks == sorted(ranks, reverse=True)
    resource = browser.find_element("xpath", "//th[.//button[normalize-space()='Resource']]")
    resource.find_element("tag name", "button").click()
    names = [
        r.find_elements("tag name", "td")[6].get_attribute("data-sort") for r in _rows(browser)
    ]
    # Chromium collates punctuation before digits and letters; judge the plain names.
    plain = [n for n in names if n and n[0].isalnum()]
    assert plain == sorted(plain, key=str.lower)
    assert names.index(IMG_PROBE) < names.index("allow-internal")
    assert console_errors(browser) == []


def test_browser_filters(browser: WebDriver, page: Path, report: ScanReport) -> None:
    from selenium.webdriver.support.ui import Select

    _load(browser, page)
    total = len(report.findings)
    Select(browser.find_element("id", "f-status")).select_by_value("FAIL")
    fails = sum(f.status is Status.FAIL for f in report.findings)
    assert _visible_statuses(browser) == ["FAIL"] * fails
    assert browser.find_element("id", "shown").text == f"Showing {fails} of {total} findings"

    Select(browser.find_element("id", "f-provider")).select_by_value("gcp")
    gcp_fails = sum(
        f.status is Status.FAIL and f.resource.provider == "gcp" for f in report.findings
    )
    assert len(_visible_statuses(browser)) == gcp_fails == 2

    Select(browser.find_element("id", "f-status")).select_by_value("")
    Select(browser.find_element("id", "f-provider")).select_by_value("")
    Select(browser.find_element("id", "f-control")).select_by_value("CLD.12.4.5")
    assert len(_visible_statuses(browser)) == 1  # the network check only

    Select(browser.find_element("id", "f-control")).select_by_value("")
    box = browser.find_element("id", "f-text")
    box.send_keys("bastion")
    assert len(_visible_statuses(browser)) == 1
    box.clear()
    box.send_keys("x")  # clear() fires no input event: type, then erase
    box.send_keys("\b")
    assert len(_visible_statuses(browser)) == total


def test_browser_xss_probes_stay_text(browser: WebDriver, page: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    _load(browser, page)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.execute_script("return window.__pwned") is None
    body = browser.find_element("id", "findings-table").text
    assert SCRIPT_PROBE in body
    assert IMG_PROBE in body
    assert browser.execute_script("return document.scripts.length") == 1
    assert browser.execute_script("return document.querySelectorAll('main img').length") == 0


def test_browser_csp_blocks_a_script_that_escaped_escaping(
    browser: WebDriver, page: Path, tmp_path: Path
) -> None:
    """Defence in depth: markup injected past the escaping still cannot run."""
    tampered = tmp_path / "tampered.html"
    injected = '<script>window.__injected = 1</script><img src="https://example.invalid/x">'
    tampered.write_text(page.read_text("utf-8").replace("</main>", injected + "</main>"), "utf-8")
    _load(browser, tampered)
    assert browser.execute_script("return window.__injected") is None
    errors = console_errors(browser)
    assert any("Content Security Policy" in m for m in errors), errors
    assert browser.find_element("id", "filters").is_displayed()  # its own script ran


def test_browser_without_javascript_shows_everything(page: Path, report: ScanReport) -> None:
    with chromium(javascript=False) as driver:
        driver.get(page.as_uri())
        rows = _rows(driver)
        assert len(rows) == len(report.findings)
        assert all(r.is_displayed() for r in rows)
        assert not driver.find_element("id", "filters").is_displayed()
        assert driver.find_elements("css selector", "th button") == []  # scripts did not run
        assert "CLD.9.5.1" in driver.find_element("id", "controls").text
        assert console_errors(driver) == []


def test_browser_demo_report_matches_demo_json(browser: WebDriver, tmp_path: Path) -> None:
    """The real (AWS) demo scan: the page's per-control numbers are the json format's.

    The two runs go in parallel; the AWS demo is seeded the same way every time."""
    pytest.importorskip("moto")
    pages = {fmt: tmp_path / f"demo.{fmt}" for fmt in ("html", "json")}
    runs = [
        subprocess.Popen(
            [*DEMO, "-f", fmt, "-o", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for fmt, out in pages.items()
    ]
    for run in runs:
        _, err = run.communicate(timeout=180)
        assert run.returncode in (0, 3, 4), err
    controls = json.loads(pages["json"].read_text("utf-8"))["controls"]
    _load(browser, pages["html"])
    assert console_errors(browser) == []
    for c in controls:
        card = browser.find_element("id", f"control-{c['id']}")
        for name in ("passed", "failed", "errors"):
            shown = card.find_element("css selector", f'[data-field="{name}"]').text
            assert int(shown) == c[name], (c["id"], name)
    findings = json.loads(pages["json"].read_text("utf-8"))["findings"]
    assert len(_rows(browser)) == len(findings)


def test_render_to_a_text_stream(report: ScanReport) -> None:
    buf = io.StringIO()
    html_format.render(report, buf)
    assert buf.getvalue().rstrip().endswith("</html>")
