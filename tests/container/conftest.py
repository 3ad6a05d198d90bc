"""The image under test: built once per test run from the working tree with buildah.

Under pytest-xdist the workers share one build: the first to get the lock builds, the
others wait and use its image (or its failure). The image is tagged with the pid of the
run's controlling process; a later run removes images whose run has ended.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.container.support import BASE_TAG, build_image, remove_stale_images, why_unavailable


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "container: builds the container image and runs it (buildah, podman)"
    )


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The project image's tag."""
    reason = why_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the container test cannot run: {reason}")
        pytest.skip(reason)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    owner = os.getppid() if worker else os.getpid()
    tag = f"localhost/cldscan:test-{owner}"
    shared = tmp_path_factory.getbasetemp()
    if worker:
        shared = shared.parent
    outcome = shared / "cldscan-image.outcome"
    with (shared / "cldscan-image.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            try:
                remove_stale_images()
                build_image(BASE_TAG, tag)
            except BaseException as exc:
                outcome.write_text(f"the image build failed: {exc}")
                raise
            outcome.write_text("ok")
    if outcome.read_text() != "ok":
        pytest.fail(outcome.read_text()[:3000])
    yield tag
    if not worker and shutil.which("podman"):
        subprocess.run(["podman", "rmi", "--force", tag], check=False, capture_output=True)
