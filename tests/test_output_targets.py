"""Where the findings go when writing them fails (a file size limit, a full device) and
when ``--output`` names something that is not a regular file (a FIFO, /dev/stdout).

Each case runs cldscan in a child process with the built-in checks: the limits and the
file descriptors belong to that process. No test writes to a device other than
/dev/stdout (a pipe or a file of the test's own) and /dev/full as the child's stdout.
"""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from scanner.delivery.files import write_atomic
from scanner.errors import ExitCode
from scanner.snapshot import write_snapshot
from tests.delivery_listeners import TOKEN, hec_server
from tests.test_outputs import ACCOUNT, sample_inventory

REPO = Path(__file__).resolve().parent.parent
SIZE_LIMIT = 4096  # bytes; the JSON findings of the sample inventory are several times that


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "snap.json"
    write_snapshot(sample_inventory(), path)
    return path


def cldscan(
    *args: str | Path,
    stdout: int | IO[Any] = subprocess.PIPE,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "scanner.cli", "evaluate", *map(str, args)],
        cwd=REPO,
        stdout=stdout,
        stderr=subprocess.PIPE,
        preexec_fn=preexec_fn,
        timeout=120,
        check=False,
    )


def small_files() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (SIZE_LIMIT, SIZE_LIMIT))


def assert_one_line_usage_error(proc: subprocess.CompletedProcess[bytes], what: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == ExitCode.USAGE, err
    assert "Traceback" not in err
    assert err.splitlines() == [err.strip()], err
    assert err.startswith(f"cldscan: error: cannot write {what}"), err


def findings_of(data: bytes) -> list[dict[str, Any]]:
    findings = json.loads(data)["findings"]
    assert isinstance(findings, list) and findings
    return findings


# --- a failed write is a one-line error, exit 2, and the old file and state stay --------


def test_output_file_over_the_size_limit(snapshot: Path, tmp_path: Path) -> None:
    out, state = tmp_path / "x.json", tmp_path / "state"
    first = cldscan(snapshot, "-o", out, "--state-dir", state)
    assert first.returncode == ExitCode.FAILED, first.stderr.decode()
    old_output = out.read_bytes()
    old_state = (state / f"aws-{ACCOUNT}.json").read_bytes()
    assert len(old_output) > SIZE_LIMIT
    write_snapshot(sample_inventory(gap=False), snapshot)  # other findings, another state

    proc = cldscan(snapshot, "-o", out, "--state-dir", state, preexec_fn=small_files)
    assert_one_line_usage_error(proc, f"{out}: ")
    assert out.read_bytes() == old_output
    assert (state / f"aws-{ACCOUNT}.json").read_bytes() == old_state
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_output_dir_over_the_size_limit(snapshot: Path, tmp_path: Path) -> None:
    directory = tmp_path / "findings"
    proc = cldscan(snapshot, "--output-dir", directory, preexec_fn=small_files)
    assert_one_line_usage_error(proc, f"{directory}/cldscan-aws-{ACCOUNT}-")
    assert list(directory.iterdir()) == []  # no file, no temporary file


def test_stdout_on_a_full_device(snapshot: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    with open("/dev/full", "wb") as full:
        proc = cldscan(snapshot, "--state-dir", state, stdout=full)
    assert_one_line_usage_error(proc, "the findings to stdout: No space left on device")
    assert not (state / f"aws-{ACCOUNT}.json").exists()


# --- --output onto something that is not a regular file is written, not replaced ------


def test_output_to_a_fifo_keeps_the_fifo(snapshot: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "findings.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as reader:
            received.append(reader.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc = cldscan(snapshot, "-o", fifo)
    reader.join(timeout=60)
    assert proc.returncode == ExitCode.FAILED, proc.stderr.decode()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert findings_of(received[0])
    assert {p.name for p in tmp_path.iterdir()} == {"snap.json", "findings.fifo"}


def test_output_to_dev_stdout_on_a_pipe(snapshot: Path) -> None:
    proc = cldscan(snapshot, "-o", "/dev/stdout")
    assert proc.returncode == ExitCode.FAILED, proc.stderr.decode()
    assert findings_of(proc.stdout)
    assert os.path.islink("/dev/stdout")


def test_output_to_dev_fd_1_on_a_regular_file(snapshot: Path, tmp_path: Path) -> None:
    # /dev/fd is /proc/self/fd: no temporary file can be made there, so the regular file
    # behind it is the one replaced
    target = tmp_path / "out.json"
    with open(target, "wb") as stdout:
        proc = cldscan(snapshot, "-o", "/dev/fd/1", stdout=stdout)
    assert proc.returncode == ExitCode.FAILED, proc.stderr.decode()
    assert findings_of(target.read_bytes())


def test_output_through_a_symlink_replaces_the_file_and_keeps_the_link(
    tmp_path: Path,
) -> None:
    real = tmp_path / "data" / "findings.json"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "findings.json"
    link.symlink_to(real)
    write_atomic(link, lambda s: s.write("new\n"), compress=False)
    assert link.is_symlink() and real.read_text() == "new\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["findings.json"]


def test_siem_delivery_with_output_to_a_fifo(snapshot: Path, tmp_path: Path) -> None:
    # the records cannot be read back from the FIFO: they are rendered again to be sent
    fifo = tmp_path / "findings.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as reader:
            received.append(reader.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with hec_server() as hec:
        proc = subprocess.run(
            [
                sys.executable, "-m", "scanner.cli", "evaluate", str(snapshot),
                "-f", "ocsf", "-o", str(fifo), "--hec-url", hec.url,
            ],
            cwd=REPO, capture_output=True, timeout=60, check=False,
            env={**os.environ, "CLDSCAN_HEC_TOKEN": TOKEN},
        )  # fmt: skip
    reader.join(timeout=60)
    assert proc.returncode == ExitCode.FAILED, proc.stderr.decode()
    written = [json.loads(line) for line in received[0].splitlines()]
    sent = [e["event"] for e in hec.events]
    for record in [*written, *sent]:
        del record["time"], record["finding_info"]["created_time"]  # when rendered
    assert written and sent == written
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_failed_rename_is_one_line_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.delivery import files
    from scanner.errors import ConfigurationError

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(ConfigurationError, match=r"cannot write .*: Operation not permitted"):
        files.write_atomic(tmp_path / "out.json", lambda fh: fh.write("{}"), compress=False)
    assert list(tmp_path.iterdir()) == []
