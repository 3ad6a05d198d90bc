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


def write_output(
    path: Path | None, emit: Callable[[TextIO], None], *, compress: bool = False
) -> bool:
    """To stdout, or atomically to ``path``: a failed run leaves an old file intact.
    ``compress`` gzips either. False when the reader closed stdout before the end."""
    if path is None:
        try:
            if compress:
                from scanner.delivery.files import write_stream

                write_stream(sys.stdout.buffer, emit, compress=True)
                sys.stdout.buffer.flush()
            else:
                emit(sys.stdout)
                sys.stdout.flush()
        except BrokenPipeError:
            # The reader stopped (``| head``): the verdict and exit status still stand.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return False
        except OSError as exc:  # disk full, a file size limit: the findings are lost
            # What stays buffered must not fail again (exit 120) when Python exits.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise ConfigurationError(
                f"cannot write the findings to stdout: {exc.strerror or exc}"
            ) from None
        return True
    from scanner.delivery.files import write_atomic

    write_atomic(path, emit, compress=compress)
    return True


def write_run_file(
    directory: Path, report: ScanReport, fmt: str, emit: Callable[[TextIO], None], *, gzip: bool
) -> Path:
    """A new file in ``--output-dir`` named by provider, account and time; its path."""
    from datetime import UTC, datetime

    from scanner.delivery.files import extension, run_stem, write_new

    stem = run_stem(((s.provider, s.account) for s in report.scopes), datetime.now(UTC))
    return write_new(directory, stem, extension(fmt, compress=gzip), emit, compress=gzip)


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
    """Evaluate, annotate (suppressions, state), write the chosen format, log a
    summary; return the exit status."""
    from scanner.annotate import annotated
    from scanner.engine import evaluate
    from scanner.registry import CheckConfig
    from scanner.results import Severity

    cfg = CheckConfig(
        admin_ports=frozenset(out.admin_ports or (22, 3389)),
        credential_max_age_days=out.key_max_age_days,
        credential_unused_days=out.unused_days,
    )
    # --severity filters what is written, after suppressions and state saw everything.
    report = evaluate(inv, checks, cfg)
    with annotated(
        report,
        inv,
        suppressions=out.suppressions,
        state_dir=out.state_dir,
        state_name=out.state_name,
        min_severity=Severity(out.severity) if out.severity else None,
    ) as (report, commit):
        return _write_report(report, out, started, commit)


def _write_report(
    report: ScanReport, out: OutputOptions, started: float, commit: Callable[[], None]
) -> int:
    """Write the chosen format, then commit the state; log a summary; the exit status."""
    import dataclasses
    from collections import Counter

    import structlog

    from scanner.annotate import changes
    from scanner.outputs import renderer

    shown = changes(report) if out.changes_only else report
    if out.statuses:
        shown = dataclasses.replace(
            shown,
            findings=tuple(f for f in shown.findings if f.status.value in out.statuses),
            _summary=list(report.control_summaries()),
        )
    to_terminal = out.output is None and out.delivery.output_dir is None and sys.stdout.isatty()
    fmt = out.fmt or ("table" if to_terminal else "json")
    render = renderer(fmt)
    from scanner.delivery.files import wants_gzip

    def emit(stream: TextIO) -> None:
        render(shown, stream)

    path = out.output
    if out.delivery.output_dir is not None:
        path = write_run_file(out.delivery.output_dir, report, fmt, emit, gzip=out.delivery.gzip)
        written = True
    else:
        written = write_output(path, emit, compress=wants_gzip(path, out.delivery.gzip))
    state_error: ConfigurationError | None = None
    if written:
        try:
            commit()
        except ConfigurationError as exc:  # StateError: raised after the SIEM delivery
            state_error = exc
    elif out.state_dir is not None:
        structlog.get_logger(__name__).warning(
            "state_not_saved",
            reason="the reader closed stdout before every finding was written",
            effect="the next run reports these changes again",
        )
    if out.delivery.output_dir is not None:
        click.echo(f"cldscan: wrote {path}", err=True)

    counts = Counter(f.status.value for f in report.findings)
    suppressed = sum(f.suppressed for f in report.findings)
    lifecycles = Counter(f.lifecycle.value for f in report.findings if f.lifecycle)
    code = exit_status(report, out.fail_on)
    structlog.get_logger(__name__).info(
        "scan_finished",
        findings=len(report.findings),
        passed=counts["PASS"],
        failed=counts["FAIL"],
        errors=counts["ERROR"],
        suppressed=suppressed,
        new=lifecycles["new"],
        resolved=lifecycles["resolved"],
        gaps=len(report.gaps),
        checks=len(report.checks),
        duration_s=round(time.monotonic() - started, 3),
        exit_status=int(code),
    )
    if fmt == "table":
        click.echo(
            f"cldscan: {len(report.findings)} findings: {counts['FAIL']} FAIL"
            + (f" ({suppressed} suppressed)" if suppressed else "")
            + ", "
            f"{counts['ERROR']} ERROR, {counts['PASS']} PASS; {len(report.gaps)} gaps",
            err=True,
        )
    if out.delivery.sinks:
        from scanner.delivery.run import deliver_report

        status = deliver_report(
            shown,
            out.delivery,
            file=path,
            file_format=fmt,
            compressed=wants_gzip(path, out.delivery.gzip),
            scan_code=int(code),
        )
    else:
        status = int(code)
    if state_error is not None:
        raise state_error
    return status


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
