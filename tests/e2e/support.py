"""Running cldscan as a user would, against a harness server, and reading results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness.client import REPO, MotoHarness

CLDSCAN = str(Path(sys.executable).with_name("cldscan"))
HOME, OTHER = "us-east-1", "eu-west-1"
REGIONS = (HOME, OTHER)

TIER1_AWS_CHECKS = (
    # CLD.9.5.1
    "any.firewall.world_ingress_all_ports",
    "any.network.default_constructs_restricted",
    "any.network.cross_tenant_link",
    "any.image.publicly_shared",
    "any.compute.public_ip_attached",
    # CLD.9.5.2
    "any.firewall.world_ingress_admin_port",
    "aws.ec2.imdsv2_required",
    "any.compute.boot_integrity",
    "any.disk.encrypted",
    "any.compute.login_hardened",
    "any.compute.identity_least_privilege",
    # CLD.12.1.5
    "any.principal.privileged_mfa",
    "aws.iam.root_unused_no_keys",
    "any.rolebinding.standing_admin",
    "any.credential.old_or_unused",
    "any.alert.privileged_or_auth_event",
    # CLD.12.4.5
    "any.audit_trail.complete",
    "any.audit_trail.tamper_resistant",
    "any.detector.threat_detection",
    "any.config_history.recording",
    # CLD.13.1.4
    "any.network.flow_logs_enabled",
    "any.alert.network_change",
    "any.subnet.filtering_attached",
    "any.compute.ip_forwarding_disabled",
)
CONTROLS = ("CLD.9.5.1", "CLD.9.5.2", "CLD.12.1.5", "CLD.12.4.5", "CLD.13.1.4")


def user_env(harness: MotoHarness, config_file: Path) -> dict[str, str]:
    """A clean process environment pointed at ``harness`` only."""
    config_file.write_text("")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLDSCAN_"))}
    return {**base, **harness.client_env(str(config_file))}


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def document(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(
                f"cldscan {' '.join(self.args)} (exit {self.code}) did not print JSON: {exc}\n"
                f"stderr:\n{self.stderr[-3000:]}"
            ) from None
        return data

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.document["findings"])

    def describe(self) -> str:
        return f"cldscan {' '.join(self.args)} -> exit {self.code}\nstderr:\n{self.stderr[-3000:]}"


def run_cldscan(args: Sequence[str], env: Mapping[str, str], *, timeout: float = 180) -> Run:
    """Run the installed ``cldscan`` in a subprocess."""
    done = subprocess.run(
        [CLDSCAN, *args],
        check=False,
        cwd=REPO,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(tuple(args), done.returncode, done.stdout, done.stderr)


def scan_args(*extra: str, regions: Sequence[str] = REGIONS, fail_on: str = "none") -> list[str]:
    args = ["scan", "aws", "--format", "json", "--fail-on", fail_on]
    for region in regions:
        args += ["--region", region]
    return [*args, *extra]


def by_check(findings: Sequence[Mapping[str, Any]], check_id: str) -> list[Mapping[str, Any]]:
    return [f for f in findings if f["check_id"] == check_id]


def statuses(findings: Sequence[Mapping[str, Any]]) -> set[str]:
    return {str(f["status"]) for f in findings}


def summary(findings: Sequence[Mapping[str, Any]]) -> str:
    """One line per finding, for assertion messages."""
    return "\n".join(
        f"  {f['status']:5} {f['check_id']} {f['resource']['region']} "
        f"{f['resource']['id']}: {f['message']}"
        for f in findings
    )
