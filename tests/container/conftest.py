"""The image under test: built once per session from the working tree with buildah."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.container.support import BASE_TAG, IMAGE_TAG, build_image, why_unavailable


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "container: builds the container image and runs it (buildah, podman)"
    )


@pytest.fixture(scope="session")
def image() -> Iterator[str]:
    """The project image, tagged IMAGE_TAG; removed after the session."""
    reason = why_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the container test cannot run: {reason}")
        pytest.skip(reason)
    build_image(BASE_TAG, IMAGE_TAG)
    yield IMAGE_TAG
    if shutil.which("podman"):
        subprocess.run(["podman", "rmi", "--force", IMAGE_TAG], check=False, capture_output=True)
