"""The container image: built with buildah, run as uid 10001 with a read-only root
filesystem, scanning the bad AWS account on a moto server on the host's loopback."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fixtures.aws import Seeder, build_bad_account
from tests.container.support import inspect, podman, podman_run, run_command
from tests.e2e.support import REGIONS
from tests.harness.client import MotoHarness, moto_server

pytestmark = [pytest.mark.container, pytest.mark.moto]

OLD_KEY_DATE = "2020-01-01T00:00:00+00:00"
UID = 10001


@pytest.fixture(scope="module")
def bad_moto() -> Iterator[MotoHarness]:
    with moto_server() as harness:
        scenario = build_bad_account(Seeder.for_endpoint(harness.url), REGIONS)
        harness.set_root_row(True, **scenario.root_row)
        for key_id in scenario.old_access_keys:
            harness.age_access_key(key_id, OLD_KEY_DATE)
        yield harness


@dataclass(frozen=True)
class Scan:
    code: int
    stderr: str
    path: Path

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]


def _data_dir(tmp: Path) -> Path:
    data = tmp / "data"
    data.mkdir()
    os.chown(data, UID, UID)
    return data


def _scan(image: str, harness: MotoHarness, data: Path, fmt: str, name: str) -> Scan:
    env = {**harness.client_env("/dev/null"), "CLDSCAN_LOG_LEVEL": "warning"}
    args = ["scan", "aws", "--format", fmt, "--fail-on", "low", "-o", f"/data/{name}"]
    for region in REGIONS:
        args += ["--region", region]
    done = podman_run(image, args, data=data, env=env)
    return Scan(done.returncode, done.stderr, data / name)


@pytest.fixture(scope="module")
def jsonl_scan(image: str, bad_moto: MotoHarness, tmp_path_factory: pytest.TempPathFactory) -> Scan:
    return _scan(
        image, bad_moto, _data_dir(tmp_path_factory.mktemp("jsonl")), "jsonl", "findings.jsonl"
    )


def test_scan_in_container_finds_failures(jsonl_scan: Scan) -> None:
    assert jsonl_scan.code == 3, jsonl_scan.stderr[-3000:]
    findings = jsonl_scan.lines()
    assert {f["status"] for f in findings} >= {"FAIL", "PASS"}
    failing = {f["check_id"] for f in findings if f["status"] == "FAIL"}
    assert {"any.firewall.world_ingress_admin_port", "aws.iam.root_unused_no_keys"} <= failing
    assert all(f["resource"]["region"] in (*REGIONS, "global") for f in findings)


def test_findings_file_belongs_to_the_container_user(jsonl_scan: Scan) -> None:
    assert jsonl_scan.path.stat().st_uid == UID
    assert [p.name for p in jsonl_scan.path.parent.iterdir()] == ["findings.jsonl"]


def test_ocsf_output_in_container(image: str, bad_moto: MotoHarness, tmp_path: Path) -> None:
    scan = _scan(image, bad_moto, _data_dir(tmp_path), "ocsf", "findings.ocsf.jsonl")
    assert scan.code == 3, scan.stderr[-3000:]
    records = scan.lines()
    assert records and {r["class_uid"] for r in records} == {2003}
    assert "FAIL" in {r["compliance"]["status_code"] for r in records}


def test_root_filesystem_is_read_only(image: str) -> None:
    done = podman_run(image, ["-c", "open('/opt/cldscan/x', 'w')"], entrypoint="python3")
    assert done.returncode != 0
    assert "Read-only file system" in done.stderr


def test_runs_as_non_root_without_pip(image: str) -> None:
    probe = (
        "import os, pathlib, sys; "
        "print(os.getuid(), os.environ['HOME'], "
        "pathlib.Path('/opt/cldscan/bin/pip').exists(), "
        "any(p.name == 'tests' for p in pathlib.Path(sys.prefix).rglob('tests')))"
    )
    done = podman_run(image, ["-c", probe], entrypoint="python3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(UID), "/home/cldscan", "False", "False"]


def test_image_metadata(image: str) -> None:
    record = inspect(image)
    config: dict[str, Any] = record["Config"]  # type: ignore[assignment]
    labels = config["Labels"]
    for key in ("version", "source", "licenses", "revision", "created"):
        assert labels.get(f"org.opencontainers.image.{key}"), key
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert config["User"] == f"{UID}:{UID}"
    assert config["Entrypoint"] == ["cldscan"]
    assert config["WorkingDir"] == "/data"


def test_schedule_mode_scans_then_stops_on_sigterm(
    image: str, bad_moto: MotoHarness, tmp_path: Path
) -> None:
    """The long-running mode as a container: a run at start-up writes findings and state
    to /data; 'podman stop' (SIGTERM to cldscan as PID 1) ends it with status 0."""
    data = _data_dir(tmp_path)
    name = f"cldscan-schedule-test-{os.getpid()}"
    env = bad_moto.client_env("/dev/null")  # schedule logs each run at info by default
    scan = ["scan", "aws", "--region", REGIONS[0], "--fail-on", "low", "--format", "jsonl"]
    scan += ["--state-dir", "/data/state", "-o", "/data/findings.jsonl"]
    args = ["schedule", "--every", "1h", "--run-now", "--", *scan]
    started = subprocess.run(
        run_command(image, args, data=data, env=env, detach_as=name),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not (data / "findings.jsonl").exists():
            time.sleep(1)
        time.sleep(1)  # the state is committed after the output is written
        stopped = podman("stop", "--time", "30", name)
        assert stopped.returncode == 0, stopped.stderr
        code = podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        shown = podman("logs", name)
        logs = shown.stdout + shown.stderr
    finally:
        podman("rm", "--force", name)
    assert (data / "findings.jsonl").exists(), logs[-3000:]
    assert code == "0", logs[-3000:]
    assert '"exit_status": 3' in logs, logs[-3000:]
    assert "schedule.stopped" in logs, logs[-3000:]
    assert [p.name for p in (data / "state").iterdir() if p.suffix == ".json"]
