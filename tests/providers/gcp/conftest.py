"""Fixtures of the GCP provider tests: the fake Google API server and an environment that
points the real Google libraries at it (service-account key file + endpoint variable)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.gcp.credentials import GCP_UNSET, fake_env, write_key_file
from fixtures.gcp.fake_google import FakeGoogle, running
from fixtures.gcp.scenarios import build_bad_project, build_good_project
from scanner.environ import patched_environment


@pytest.fixture
def gcp_fake() -> Iterator[FakeGoogle]:
    """The good and the bad project, every list answered one or two items per page."""
    with running([build_good_project(), build_bad_project()], page_size=2) as fake:
        yield fake


@pytest.fixture
def gcp_env(gcp_fake: FakeGoogle, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The process environment pointed at ``gcp_fake``; returns it for subprocesses."""
    key = write_key_file(tmp_path, token_uri=f"{gcp_fake.base}/token")
    empty_gcloud = tmp_path / "gcloud"
    empty_gcloud.mkdir()
    env = {
        **fake_env(gcp_fake.base, key),
        "CLOUDSDK_CONFIG": str(empty_gcloud),
        "NO_GCE_CHECK": "True",
    }
    with patched_environment(env, unset=tuple(k for k in GCP_UNSET if k not in env)):
        yield {**os.environ}
