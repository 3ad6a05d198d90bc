"""``cldscan demo`` works out of the box and shows PASS and FAIL under every control."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.errors import ExitCode
from tests.e2e.support import CONTROLS, run_cldscan, statuses, summary

pytestmark = pytest.mark.moto


def test_demo_json_shows_pass_and_fail_under_every_control(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLDSCAN_"))}
    # A profile of the developer's own must never leak into the demo.
    (tmp_path / "config").write_text("[profile work]\nregion = ap-south-1\n")
    env.update(AWS_CONFIG_FILE=str(tmp_path / "config"), AWS_PROFILE="work")
    run = run_cldscan(["demo", "--format", "json"], env)
    assert run.code == ExitCode.FAILED, run.describe()
    assert "Traceback" not in run.stderr, run.describe()
    document = run.document
    errors = [f for f in document["findings"] if f["status"] == "ERROR"]
    assert not errors, "the demo has unevaluated findings:\n" + summary(errors)
    for control in CONTROLS:
        mine = [f for f in document["findings"] if control in f["controls"]]
        assert {"PASS", "FAIL"} <= statuses(mine), f"{control}: {statuses(mine)}"
    verdicts = {c["id"]: c for c in document["controls"]}
    for control in CONTROLS:
        assert verdicts[control]["passed"] > 0 and verdicts[control]["failed"] > 0, verdicts
    assert {f["resource"]["region"] for f in document["findings"]} >= {"us-east-1", "eu-west-1"}
