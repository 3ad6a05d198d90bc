"""Third-party checks are discovered through the ``cldscan.checks`` entry-point group."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN = """
from scanner.inventory import ComputeInstance
from scanner.registry import check
from scanner.results import Result, Severity


@check(
    id="acme.compute.owner_tag",
    title="Every instance names its owner",
    severity=Severity.LOW,
    controls=("CLD.12.1.5",),
    providers=("aws",),
    needs=(ComputeInstance,),
    rationale="Without an owner nobody answers for an instance.",
    remediation="Add an owner tag.",
)
def owner_tag(inv, cfg):
    for vm in inv.of(ComputeInstance):
        if vm.tags.get("owner"):
            yield Result.passed(vm, "owned")
        else:
            yield Result.failed(vm, f"{vm.name} has no owner tag")
"""

DRIVER = """
from scanner.engine import evaluate
from scanner.inventory import ComputeInstance, Inventory, ScanScope
from scanner.registry import load_checks

checks = load_checks()
scope = ScanScope("aws", "1", "arn:aws:iam::1:root", regions=("eu-west-1",))
vm = ComputeInstance(id="i-1", provider="aws", account="1", region="eu-west-1", name="web")
report = evaluate(Inventory(entities=(vm,), scopes=(scope,)), [checks["acme.compute.owner_tag"]])
print([(f.check_id, f.status.value) for f in report.findings])
"""


def _install_fake_distribution(site: Path, module: str, body: str) -> None:
    (site / f"{module}.py").write_text(body)
    dist = site / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[cldscan.checks]\nacme = {module}\n")


def _run(site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", DRIVER],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_entry_point_plugin_is_loaded_and_run(tmp_path: Path) -> None:
    _install_fake_distribution(tmp_path, "acme_checks", textwrap.dedent(PLUGIN))
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "('acme.compute.owner_tag', 'FAIL')" in proc.stdout


def test_broken_plugin_is_a_clear_load_error(tmp_path: Path) -> None:
    _install_fake_distribution(tmp_path, "broken_checks", "raise ImportError('no such thing')\n")
    proc = _run(tmp_path)
    assert proc.returncode != 0
    assert "check plug-in 'acme' (broken_checks) failed to load" in proc.stderr
