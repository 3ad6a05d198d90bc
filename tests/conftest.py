"""Shared fixtures: the harness moto server and an environment that points boto3 at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.client import MotoHarness, moto_server


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoHarness]:
    """One harness server for the whole session; reset with ``moto_reset`` between tests."""
    with moto_server() as harness:
        yield harness


@pytest.fixture
def moto_reset(moto: MotoHarness) -> MotoHarness:
    """The session server with moto's state, the request log and faults cleared."""
    moto.reset_moto()
    moto.clear_faults()
    moto.set_root_row(enabled=False)
    moto.reset_log()
    return moto


@pytest.fixture
def fresh_moto() -> Iterator[MotoHarness]:
    """A server of its own, for tests that need stable ids."""
    with moto_server() as harness:
        yield harness


@pytest.fixture
def aws_env_file(tmp_path: Path) -> str:
    empty = tmp_path / "aws-empty-config"
    empty.write_text("")
    return str(empty)


@pytest.fixture
def aws_env(
    moto_reset: MotoHarness, aws_env_file: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The process environment pointed at the (reset) session server; returned as a dict
    for tests that run the scanner in a subprocess."""
    env = moto_reset.client_env(aws_env_file)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ROLE_ARN", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    return env
