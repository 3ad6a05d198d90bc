"""The deployment examples under deploy/ parse, run cldscan the way the image needs
(uid 10001, read-only root, /data and /tmp writable) and pass options cldscan accepts.
The README's test command is the one .ci/run runs."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.cli.app import cli
from scanner.cron import CronSchedule
from tests.harness.client import REPO

DEPLOY = REPO / "deploy"
KUBE = sorted((DEPLOY / "kubernetes").glob("*.yaml"))


@pytest.fixture(autouse=True)
def _no_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should an example's last option swallow the ``--help``, the scan finds no
    credentials instead of reaching anything."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "AZURE_", "GOOGLE_", "CLDSCAN_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


def cldscan_accepts(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """The command line parses: every option exists and has its value (``--help`` at
    the end stops cldscan before it runs anything)."""
    code = cli.main(args=[*args, "--help"], prog_name="cldscan", standalone_mode=False)
    out, err = capsys.readouterr()
    assert code == 0, f"cldscan {' '.join(args)}: {err}"
    assert out.startswith("Usage: cldscan "), out[:200]


def check_schedule_or_scan(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    if args[0] == "schedule":
        cron = args[args.index("--cron") + 1]
        assert CronSchedule.parse(cron).expression == cron
        args = args[args.index("--") + 1 :]
    assert args[:1] == ["scan"], args
    assert args[args.index("--state-dir") + 1].startswith("/data/")
    cldscan_accepts(args, capsys)


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "CronJob":
        spec: dict[str, Any] = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    spec = doc["spec"]["template"]["spec"]
    return spec


def test_there_is_an_example_per_cloud_identity() -> None:
    names = {p.name for p in KUBE}
    assert {
        "aws-irsa-cronjob.yaml",
        "aws-pod-identity-cronjob.yaml",
        "azure-workload-identity-cronjob.yaml",
        "gcp-workload-identity-cronjob.yaml",
        "schedule-deployment.yaml",
    } <= names


@pytest.mark.parametrize("path", KUBE, ids=lambda p: p.name)
def test_kubernetes_example(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    workloads = [d for d in docs if d["kind"] in ("CronJob", "Deployment")]
    assert len(workloads) == 1
    workload = workloads[0]
    if workload["kind"] == "CronJob":
        assert workload["spec"]["concurrencyPolicy"] == "Forbid"
        CronSchedule.parse(workload["spec"]["schedule"])
    else:
        assert workload["spec"]["replicas"] == 1
        assert workload["spec"]["strategy"]["type"] == "Recreate"
    spec = pod_spec(workload)
    assert spec["securityContext"]["runAsUser"] == 10001
    assert spec["securityContext"]["runAsNonRoot"] is True
    (container,) = spec["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert mounts == {"/data", "/tmp"}
    check_schedule_or_scan([str(a) for a in container["args"]], capsys)


def test_identity_wiring() -> None:
    def first(name: str) -> dict[str, Any]:
        doc: dict[str, Any] = next(yaml.safe_load_all((DEPLOY / "kubernetes" / name).read_text()))
        assert doc["kind"] == "ServiceAccount"
        return doc

    assert "eks.amazonaws.com/role-arn" in first("aws-irsa-cronjob.yaml")["metadata"]["annotations"]
    assert "annotations" not in first("aws-pod-identity-cronjob.yaml")["metadata"]
    azure = first("azure-workload-identity-cronjob.yaml")["metadata"]["annotations"]
    assert "azure.workload.identity/client-id" in azure
    gcp = first("gcp-workload-identity-cronjob.yaml")["metadata"]["annotations"]
    assert "iam.gke.io/gcp-service-account" in gcp
    azure_docs = list(
        yaml.safe_load_all(
            (DEPLOY / "kubernetes" / "azure-workload-identity-cronjob.yaml").read_text()
        )
    )
    template = azure_docs[-1]["spec"]["jobTemplate"]["spec"]["template"]
    assert template["metadata"]["labels"]["azure.workload.identity/use"] == "true"


def test_ecs_task_definition(capsys: pytest.CaptureFixture[str]) -> None:
    task = json.loads((DEPLOY / "ecs" / "task-definition.json").read_text())
    (container,) = task["containerDefinitions"]
    assert container["readonlyRootFilesystem"] is True
    assert container["user"] == "10001:10001"
    assert {m["containerPath"] for m in container["mountPoints"]} == {"/data", "/tmp"}
    assert {v["name"] for v in task["volumes"]} == {
        m["sourceVolume"] for m in container["mountPoints"]
    }
    check_schedule_or_scan(container["command"], capsys)


def test_eventbridge_schedule() -> None:
    schedule = json.loads((DEPLOY / "ecs" / "schedule.json").read_text())
    expr = schedule["ScheduleExpression"]
    assert expr.startswith("cron(") and expr.endswith(")") and len(expr[5:-1].split()) == 6
    params = schedule["Target"]["EcsParameters"]
    assert params["TaskDefinitionArn"].endswith(":task-definition/cldscan")
    assert params["LaunchType"] == "FARGATE"


def test_crontab_line(capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        line
        for line in (DEPLOY / "cron" / "cldscan.cron").read_text().splitlines()
        if line and not line.startswith("#") and "=" not in line.split()[0]
    ]
    (line,) = lines
    fields = line.split()
    CronSchedule.parse(" ".join(fields[:5]))
    user, wrapper, *args = fields[5:]
    assert user == "cldscan" and wrapper.endswith("/cldscan-cron")
    assert args[args.index("--state-dir") + 1].startswith("/var/lib/cldscan/")
    cldscan_accepts(args, capsys)


def test_cron_wrapper_logs_status_and_never_overlaps(tmp_path: Path) -> None:
    wrapper = DEPLOY / "cron" / "cldscan-cron"
    env = {
        **os.environ,
        "CLDSCAN_DATA": str(tmp_path),
        "CLDSCAN": f"{sys.executable} -m scanner.cli",
    }
    done = subprocess.run(
        ["bash", str(wrapper), "--version"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "cldscan, version" in done.stdout
    assert "run exited 0 (clean)" in done.stderr
    with (tmp_path / ".cron.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a run in progress
        skipped = subprocess.run(
            ["bash", str(wrapper), "--version"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert skipped.returncode == 0
    assert "previous run still going" in skipped.stderr
    assert skipped.stdout == ""


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Run the tests", 1)[1]
    command = section.split("```sh\n", 1)[1].split("\n```", 1)[0].strip()
    ci = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert command == ci
