"""Expected faults and the exit statuses they map to (documented in docs/cli.md)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """The scan completed and no failing finding reached the ``--fail-on`` threshold."""
    INTERNAL = 1
    """A bug in cldscan: a traceback is printed, please report it."""
    USAGE = 2
    """Bad options, configuration, credentials or input files: nothing was evaluated."""
    FAILED = 3
    """Failing findings at or above the ``--fail-on`` severity."""
    INCOMPLETE = 4
    """The scan completed with gaps (some scopes could not be evaluated) and no failing
    finding reached the threshold. Failing findings take precedence (status 3)."""
    DELIVERY_FAILED = 5
    """The findings were written to the output file, but some did not reach a SIEM sink
    (``--hec-url``, ``--syslog``). Takes precedence over 3 and 4: the scan's own status
    is in the ``scan_finished`` log record."""


def one_line(text: str, limit: int | None = None) -> str:
    """Collapse whitespace so a message fits one line; cut it at ``limit`` characters."""
    line = " ".join(text.split())
    if limit is not None and len(line) > limit:
        return line[: limit - 3] + "..."
    return line


class CldscanError(Exception):
    """An expected fault: printed as one line, no traceback."""

    exit_code: ExitCode = ExitCode.USAGE


class ConfigurationError(CldscanError):
    """Options, credentials or scope that cannot work (unknown region, no credentials)."""


class SnapshotError(CldscanError):
    """A snapshot file that cannot be read as a cldscan inventory."""


class CheckLoadError(CldscanError):
    """A check plug-in that cannot be loaded or declares invalid metadata."""
