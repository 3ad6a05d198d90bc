"""Building the image with buildah and running it with podman, as CI does here.

No Docker engine or registry is reachable: the base image is built from Debian packages
(.ci/make-base-image) and the Dockerfile is built on it with ``--isolation chroot``.
Containers run through runc with the host's own resource limits (crun cannot run with
hybrid cgroups, and podman's default limits exceed what this sandbox may set).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.harness.client import REPO

BASE_TAG = "localhost/cldscan-base:bookworm"
TEST_TAG_PREFIX = "localhost/cldscan:test-"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
BUILD_TIMEOUT = 600


def why_unavailable() -> str | None:
    """Why the image cannot be built and run here, or None when it can."""
    missing = [t for t in ("buildah", "podman", "runc", "debootstrap") if not shutil.which(t)]
    if missing:
        return f"{', '.join(missing)} not installed (run .ci/system-packages)"
    if os.geteuid() != 0:
        return "building the base image (debootstrap) and the project image needs root"
    return None


def _check(args: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(args), cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args[:3])} ... exited {done.returncode}\n"
            f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
        )
    return done


def build_image(base: str, tag: str) -> float:
    """Build the base (when absent) and the project image; the build's seconds."""
    _check(["bash", str(REPO / ".ci" / "make-base-image"), base], BUILD_TIMEOUT)
    started = time.monotonic()
    cmd = ["buildah", "build", "--isolation", "chroot", "--layers=false", "--quiet"]
    cmd += ["--build-arg", f"BASE_IMAGE={base}"]
    if HOST_CA.is_file():
        cmd += ["-v", f"{HOST_CA}:/run/host-ca.crt:ro", "--build-arg", "PIP_CERT=/run/host-ca.crt"]
    _check([*cmd, "-t", tag, str(REPO)], BUILD_TIMEOUT)
    return time.monotonic() - started


def remove_stale_images() -> None:
    """Remove test images left by runs whose process has ended."""
    listed = subprocess.run(
        ["podman", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    for ref in listed.stdout.split():
        pid = ref.removeprefix(TEST_TAG_PREFIX)
        if ref.startswith(TEST_TAG_PREFIX) and pid.isdigit() and not _alive(int(pid)):
            subprocess.run(["podman", "rmi", "--force", ref], capture_output=True, check=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ulimits() -> list[str]:
    """Limits no higher than this process's own: podman's defaults are higher and the
    sandbox may not raise them (and may not keep even its own RLIMIT_NPROC)."""
    args = []
    for name, limit, cap in (
        ("nofile", resource.RLIMIT_NOFILE, 65536),
        ("nproc", resource.RLIMIT_NPROC, 4096),
    ):
        _soft, hard = resource.getrlimit(limit)
        value = cap if hard == resource.RLIM_INFINITY else min(hard, cap)
        args += ["--ulimit", f"{name}={value}:{value}"]
    return args


def run_command(
    image: str,
    args: Sequence[str],
    *,
    data: Path | None = None,
    env: Mapping[str, str] | None = None,
    entrypoint: str | None = None,
    detach_as: str | None = None,
) -> list[str]:
    """A ``podman run`` line: uid 10001, read-only root, tmpfs /tmp, host network;
    removed when done unless ``detach_as`` names a detached container."""
    cmd = ["podman", "run", "--runtime", "runc", *_ulimits()]
    cmd += ["--detach", "--name", detach_as] if detach_as else ["--rm"]
    cmd += ["--read-only", "--tmpfs", "/tmp", "--network", "host", "--user", "10001"]
    if data is not None:
        cmd += ["-v", f"{data}:/data"]
    for key, value in (env or {}).items():
        cmd += ["-e", f"{key}={value}"]
    if entrypoint is not None:
        cmd += ["--entrypoint", entrypoint]
    return [*cmd, image, *args]


def podman_run(
    image: str,
    args: Sequence[str],
    *,
    data: Path | None = None,
    env: Mapping[str, str] | None = None,
    entrypoint: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run a container to its end (see :func:`run_command`)."""
    cmd = run_command(image, args, data=data, env=env, entrypoint=entrypoint)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def inspect(image: str) -> dict[str, object]:
    done = _check(["podman", "image", "inspect", image], 60)
    record: dict[str, object] = json.loads(done.stdout)[0]
    return record
