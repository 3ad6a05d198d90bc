"""Structured logging to stderr: JSON lines off a terminal, a console renderer on one.

stdout carries findings only, so every log line goes to stderr. The stream is looked up
at each write, so a caller that swaps ``sys.stderr`` (tests, click's runner) still gets
the lines.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

import structlog

LEVELS = ("debug", "info", "warning", "error", "critical")
DEFAULT_LEVEL = "warning"
ENV_LEVEL = "CLDSCAN_LOG_LEVEL"


class _StderrLogger:
    """The final sink: one rendered line to whatever ``sys.stderr`` is now."""

    def msg(self, message: str) -> None:
        stream: TextIO = sys.stderr
        stream.write(message + "\n")
        stream.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def _stderr_logger(*_args: Any) -> _StderrLogger:
    return _StderrLogger()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stdlib handler that writes to whatever ``sys.stderr`` is at each record."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def _route_stdlib_logging(level: int, renderer: Any) -> None:
    """Render third-party (stdlib) log records like ours, on stderr, at warning or above:
    SDK debug output can carry request signatures and session tokens."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    floor = max(level, logging.WARNING)
    handler.setLevel(floor)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(floor)
    # werkzeug (the demo's moto server) raises its own logger to INFO and logs every
    # request unless its level is set.
    logging.getLogger("werkzeug").setLevel(floor)


def resolve_level(level: str | None) -> str:
    """The level to use: the argument, else ``$CLDSCAN_LOG_LEVEL``, else ``warning``."""
    chosen = (level or os.environ.get(ENV_LEVEL) or DEFAULT_LEVEL).strip().lower()
    if chosen not in LEVELS:
        from scanner.errors import ConfigurationError

        raise ConfigurationError(f"unknown log level {chosen!r} (choose from {', '.join(LEVELS)})")
    return chosen


def configure(level: str | None = None, *, console: bool | None = None) -> None:
    """Set up structlog for the process. ``console`` defaults to whether stderr is a TTY."""
    numeric = logging.getLevelNamesMapping()[resolve_level(level).upper()]
    if console is None:
        console = sys.stderr.isatty()
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any
    if console:
        renderer = structlog.dev.ConsoleRenderer(colors="NO_COLOR" not in os.environ)
    else:
        processors.append(structlog.processors.dict_tracebacks)
        renderer = structlog.processors.JSONRenderer(default=str)
    processors.append(renderer)
    _route_stdlib_logging(numeric, renderer)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
