"""Start the harness moto server in a subprocess and talk to its control routes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

SERVER_ENV = {
    # ~1,300 stock AMIs and snapshots per region would make every scan slow and noisy.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    # Loading ~1,100 AWS managed policies makes every GetAccountAuthorizationDetails take
    # over a second (longer than the timeout tests allow); scenarios create their own
    # admin policy instead. Pass extra_env to moto_server() to turn it back on.
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "false",
}


@dataclass
class MotoHarness:
    """A running harness server: its URL and helpers for its control routes."""

    url: str
    process: subprocess.Popen[str] | None = None

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body.strip().startswith((b"{", b"[")) else body

    def requests(self) -> list[dict[str, Any]]:
        """Every AWS request seen since the last ``reset_log`` (control routes excluded)."""
        return list(self._call("GET", "/_harness/requests"))

    def reset_log(self) -> None:
        self._call("POST", "/_harness/reset-log", {})

    def set_faults(self, rules: Sequence[Mapping[str, Any]]) -> None:
        """Replace the fault rules. A rule: ``action`` (e.g. ``DescribeVolumes``), optional
        ``service`` / ``region``, ``status`` (default 400), ``code`` (default AccessDenied),
        ``message``, ``delay`` seconds, ``after`` (let this many matching requests through
        first), ``count`` (how many times; default every time),
        ``passthrough`` (delay, then answer normally)."""
        self._call("POST", "/_harness/faults", list(rules))

    def clear_faults(self) -> None:
        self.set_faults([])

    def reset_moto(self) -> None:
        """Empty moto's backends (ids keep counting: use a fresh server for stable ids)."""
        self._call("POST", "/moto-api/reset", {})

    def set_root_row(self, enabled: bool = True, **columns: str) -> None:
        """Add (or, with ``enabled=False``, drop) a ``<root_account>`` credential report row;
        ``columns`` override its CSV fields, e.g. ``access_key_1_active="true"``."""
        self._call("POST", "/_harness/iam/root-row", {"enabled": enabled, **columns})

    def age_access_key(self, access_key_id: str, create_date: str, last_used: str = "") -> None:
        """Backdate an access key (ISO 8601 with offset); moto stamps keys "now"."""
        ok = self._call(
            "POST",
            "/_harness/iam/access-key",
            {"access_key_id": access_key_id, "create_date": create_date, "last_used": last_used},
        )["ok"]
        if not ok:
            raise KeyError(access_key_id)

    def client_env(self, config_file: str, region: str = "us-east-1") -> dict[str, str]:
        """Environment variables that point boto3 (and only this server) at the harness."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": config_file,
            "AWS_SHARED_CREDENTIALS_FILE": config_file,
        }


@contextmanager
def moto_server(extra_env: Mapping[str, str] | None = None) -> Iterator[MotoHarness]:
    """Run a fresh harness server for the duration of the ``with`` block."""
    env = {**os.environ, **SERVER_ENV, **(extra_env or {})}
    for name in list(env):
        if name.startswith("AWS_"):
            del env[name]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.harness.moto_server", "--port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"moto harness did not start: {line!r}")
        yield MotoHarness(f"http://127.0.0.1:{int(line.split()[1])}", proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
