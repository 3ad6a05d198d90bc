"""Check selection, evaluation, writing the chosen format and the exit status."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from scanner.cli.options import OutputOptions
from scanner.errors import ConfigurationError, ExitCode

if TYPE_CHECKING:
    from providers.base import Progress
    from scanner.engine import ScanReport
    from scanner.inventory import Inventory
    from scanner.registry import Check

Collector = Callable[["Progress"], "Inventory"]


def select_checks(out: OutputOptions, provider: str | None = None) -> list[Check]:
    """Load the checks and apply ``--check`` / ``--control``; a filter that matches
    nothing is a usage error, not an empty (and falsely clean) scan."""
    from scanner.controls import CONTROLS
    from scanner.registry import load_checks
    from scanner.registry import select_checks as select

    every = load_checks()
    for control in out.controls:
        if control not in CONTROLS:
            raise ConfigurationError(
                f"unknown control {control!r} (choose from {', '.join(CONTROLS)})"
            )
    for pattern in out.check_ids:
        if not select(every, ids=[pattern]):
            raise ConfigurationError(f"--check {pattern!r} matches no check (see 'cldscan checks')")
    chosen = select(
        every,
        ids=out.check_ids,
        controls=out.controls,
        providers=[provider] if provider else (),
    )
    if not chosen and (out.check_ids or out.controls):
        raise ConfigurationError("no check matches the --check / --control filters")
    if not chosen:
        where = f" for {provider}" if provider else ""
        raise ConfigurationError(f"no checks are installed{where}")
    return chosen


def write_output(path: Path | None, emit: Callable[[TextIO], None]) -> None:
    """To stdout, or atomically to ``path``: a failed run leaves an old file intact."""
    if path is None:
        try:
            emit(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader stopped (``| head``): the verdict and exit status still stand.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    import tempfile

    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise ConfigurationError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            emit(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def exit_status(report: ScanReport, fail_on: str) -> ExitCode:
    from scanner.results import Severity

    threshold = None if fail_on == "none" else Severity(fail_on)
    if report.failing(threshold):
        return ExitCode.FAILED
    if not report.complete:
        # Gaps count where they left a selected check unevaluated (ERROR findings).
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def evaluate_and_report(
    inv: Inventory, checks: Sequence[Check], out: OutputOptions, started: float
) -> int:
    """Evaluate, write the chosen format, log a summary; return the exit status."""
    import dataclasses
    from collections import Counter

    import structlog

    from scanner.engine import evaluate
    from scanner.outputs import renderer
    from scanner.registry import CheckConfig
    from scanner.results import Severity

    cfg = CheckConfig(
        admin_ports=frozenset(out.admin_ports or (22, 3389)),
        credential_max_age_days=out.key_max_age_days,
        credential_unused_days=out.unused_days,
    )
    report = evaluate(
        inv, checks, cfg, min_severity=Severity(out.severity) if out.severity else None
    )
    shown = report
    if out.statuses:
        shown = dataclasses.replace(
            report,
            findings=tuple(f for f in report.findings if f.status.value in out.statuses),
            _summary=list(report.control_summaries()),
        )
    to_terminal = out.output is None and sys.stdout.isatty()
    fmt = out.fmt or ("table" if to_terminal else "json")
    render = renderer(fmt)
    write_output(out.output, lambda stream: render(shown, stream))

    counts = Counter(f.status.value for f in report.findings)
    code = exit_status(report, out.fail_on)
    structlog.get_logger(__name__).info(
        "scan_finished",
        findings=len(report.findings),
        passed=counts["PASS"],
        failed=counts["FAIL"],
        errors=counts["ERROR"],
        gaps=len(report.gaps),
        checks=len(report.checks),
        duration_s=round(time.monotonic() - started, 3),
        exit_status=int(code),
    )
    if fmt == "table":
        click.echo(
            f"cldscan: {len(report.findings)} findings: {counts['FAIL']} FAIL, "
            f"{counts['ERROR']} ERROR, {counts['PASS']} PASS; {len(report.gaps)} gaps",
            err=True,
        )
    return int(code)


@contextmanager
def _progress() -> Iterator[Progress]:
    from scanner.progress import ProgressLine

    line = ProgressLine(sys.stderr)
    try:
        yield line
    finally:
        line.clear()


def collect_with_progress(collector: Collector) -> Inventory:
    with _progress() as progress:
        return collector(progress)
