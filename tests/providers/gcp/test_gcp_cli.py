"""``cldscan scan gcp`` / ``collect gcp`` as a user runs them: a subprocess, real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fixtures.gcp.fake_google import FakeGoogle


def _cldscan(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_credentials_is_one_line_exit_2(gcp_env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in gcp_env.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}
    env["NO_GCE_CHECK"] = "True"
    done = _cldscan(["scan", "gcp", "--project", "acme-good"], env)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and "no Google credentials found" in errors[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_collect_writes_a_snapshot(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "gcp.json"
    done = _cldscan(["collect", "gcp", "--project", "acme-good", "-o", str(out)], gcp_env)
    assert done.returncode == 0, done.stderr
    snapshot = json.loads(out.read_text())
    text = json.dumps(snapshot)
    assert "acme-good" in text and "compute_instance" in text and "role_definition" in text
    assert not [r for r in gcp_fake.requests() if r.mutating]
    # The snapshot evaluates offline to the same verdicts as a live scan.
    offline = _cldscan(["evaluate", str(out), "-f", "json"], gcp_env)
    live = _cldscan(["scan", "gcp", "--project", "acme-good", "-f", "json"], gcp_env)
    assert offline.returncode == live.returncode == 0, offline.stderr + live.stderr

    def verdicts(done: subprocess.CompletedProcess[str]) -> set[tuple[str, str, str]]:
        doc = json.loads(done.stdout)
        return {(f["check_id"], f["resource"]["id"], f["status"]) for f in doc["findings"]}

    assert verdicts(offline) == verdicts(live)
    assert {v[2] for v in verdicts(offline)} == {"PASS"}


def test_scan_reports_both_projects(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    done = _cldscan(["scan", "gcp", "-f", "json"], gcp_env)
    assert done.returncode == 3, done.stderr  # the bad project fails checks
    report = json.loads(done.stdout)
    accounts = {f["resource"]["account"] for f in report["findings"]}
    assert accounts == {"acme-good", "acme-bad"}
    statuses = {f["status"] for f in report["findings"]}
    assert statuses == {"PASS", "FAIL"}


def test_exclusive_discovery_options(gcp_env: dict[str, str]) -> None:
    done = _cldscan(["scan", "gcp", "--organization", "1", "--folder", "2"], gcp_env)
    assert done.returncode == 2 and "exclusive" in done.stderr


def test_rejected_credentials_stop_before_collection(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    gcp_fake.fail(r"^/token$", status=400, reason="invalid_grant")
    done = _cldscan(["scan", "gcp", "--project", "acme-good"], gcp_env)
    assert done.returncode == 2, done.stderr
    assert "Google rejected the credentials" in done.stderr and "Traceback" not in done.stderr
    assert {r.path for r in gcp_fake.requests()} == {"/token"}
