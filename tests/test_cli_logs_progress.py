"""Logging and the progress counter: stderr only, JSON off a terminal, quiet when piped."""

from __future__ import annotations

import io
import json
import threading

import pytest
import structlog

from scanner.errors import ConfigurationError
from scanner.logs import configure, resolve_level
from scanner.progress import ProgressLine


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_lines_on_stderr_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    configure("info", console=False)
    structlog.get_logger("t").info("collected", entities=3)
    structlog.get_logger("t").debug("hidden")
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "collected"
    assert record["entities"] == 3
    assert record["level"] == "info"
    assert "timestamp" in record


def test_console_renderer_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    configure("warning", console=True)
    structlog.get_logger("t").warning("slow region", region="eu-west-1")
    structlog.get_logger("t").info("not shown")
    out, err = capsys.readouterr()
    assert out == ""
    assert "slow region" in err and "region=eu-west-1" in err
    assert "not shown" not in err
    assert "\x1b[" not in err


def test_level_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLDSCAN_LOG_LEVEL", "DEBUG")
    assert resolve_level(None) == "debug"
    assert resolve_level("error") == "error"
    monkeypatch.delenv("CLDSCAN_LOG_LEVEL")
    assert resolve_level(None) == "warning"
    monkeypatch.setenv("CLDSCAN_LOG_LEVEL", "chatty")
    with pytest.raises(ConfigurationError, match="unknown log level 'chatty'"):
        resolve_level(None)


def test_progress_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    with ProgressLine(stream) as progress:
        progress(1, 4, "ec2:DescribeVolumes us-east-1")
    assert stream.getvalue() == ""


def test_progress_counter_on_a_terminal_is_cleared_at_the_end() -> None:
    stream = _Tty()
    with ProgressLine(stream) as progress:
        progress(12, 40, "ec2:DescribeVolumes us-east-1")
        progress(13, 40, "iam:ListUsers global")
    text = stream.getvalue()
    assert "collecting 12/40 ec2:DescribeVolumes us-east-1" in text
    assert "collecting 13/40 iam:ListUsers global" in text
    assert "\n" not in text
    assert text.endswith("\r\x1b[K")


def test_progress_from_many_threads() -> None:
    stream = _Tty()
    progress = ProgressLine(stream)
    threads = [threading.Thread(target=progress, args=(n, 50, f"unit {n}")) for n in range(1, 51)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    progress.clear()
    writes = stream.getvalue().split("\r\x1b[K")
    assert sum(1 for w in writes if w.startswith("collecting ")) == 50


def test_third_party_logs_are_rendered_alike_at_warning_or_above(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    configure("debug", console=False)
    logging.getLogger("botocore.endpoint").debug("Making request with token=secret")
    logging.getLogger("werkzeug").info("GET / 200")
    logging.getLogger("botocore.retries").warning("retrying")
    out, err = capsys.readouterr()
    assert out == ""
    records = [json.loads(line) for line in err.splitlines()]
    assert [(r["logger"], r["level"], r["event"]) for r in records] == [
        ("botocore.retries", "warning", "retrying")
    ]
